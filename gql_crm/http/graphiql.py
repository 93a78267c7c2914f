"""GraphiQL that works offline: the page and every asset it loads come from this package."""

import os
import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).parent / "static" / "graphiql"
STATIC_PATH = "/graphiql"

# Hosts as HTTP allows them (name or IP, optional port): anything else is left out of the
# policy rather than written into a header.
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


def page_policy(host: str | None) -> str:
    """The page's Content-Security-Policy: its own scripts only (no inline script, no eval),
    styles also inline (GraphiQL's components set them at run time), the fonts GraphiQL
    embeds as data: URLs, requests to this origin, subscriptions over its websocket."""
    sockets = f" ws://{host} wss://{host}" if host and _HOST.match(host) else ""
    return (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; "
        f"connect-src 'self'{sockets}; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


PAGE_TEMPLATE = (Path(__file__).parent / "graphiql.html").read_text(encoding="utf-8")


def render_page(request: Request) -> HTMLResponse:
    prefix = request.scope.get("root_path", "") + STATIC_PATH
    return HTMLResponse(
        PAGE_TEMPLATE.replace("{static}", prefix),
        headers={
            "Content-Security-Policy": page_policy(request.headers.get("host")),
            "Cache-Control": "no-cache",
        },
    )


class AssetFiles(StaticFiles):
    """The page's scripts and styles; revalidated (ETag) so an upgrade is seen at once."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "no-cache"
        return response


def graphiql_assets() -> Mount:
    return Mount(STATIC_PATH, AssetFiles(directory=STATIC_DIR), name="graphiql")
