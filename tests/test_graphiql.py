"""GraphiQL offline: the page loads only same-origin assets, and every one is served."""

import base64
import hashlib
import re
import tomllib
from fnmatch import fnmatch
from html.parser import HTMLParser
from pathlib import Path

import pytest

from gql_crm.http.graphiql import STATIC_DIR


class Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts: list[dict] = []
        self.links: list[dict] = []

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts.append(dict(attrs))
        elif tag == "link":
            self.links.append(dict(attrs))


async def graphiql_page(http):
    response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assets = Assets()
    assets.feed(response.text)
    return response, assets


async def test_the_page_loads_only_assets_of_its_own_origin(http):
    response, assets = await graphiql_page(http)
    urls = [s["src"] for s in assets.scripts] + [
        link["href"] for link in assets.links if link.get("rel") == "stylesheet"
    ]
    assert len(urls) == 8
    for url in urls:
        assert url.startswith("/graphiql/") and not url.startswith("//"), url
    # No inline script: the policy allows the page's own files only.
    assert all(script.get("src") for script in assets.scripts)
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", response.text)
    icon = next(link for link in assets.links if link.get("rel") == "icon")
    assert icon["href"].startswith("data:")


async def test_every_asset_is_served_with_its_type_and_integrity(http):
    _, assets = await graphiql_page(http)
    expected_types = {".js": ("text/javascript", "application/javascript"), ".css": ("text/css",)}
    tagged = [(s["src"], s.get("integrity")) for s in assets.scripts] + [
        (link["href"], link.get("integrity"))
        for link in assets.links
        if link.get("rel") == "stylesheet"
    ]
    for url, integrity in tagged:
        response = await http.get(url, headers={"Accept-Encoding": "identity"})
        assert response.status_code == 200, url
        media_type = response.headers["content-type"].split(";")[0]
        assert media_type in expected_types[url[url.rindex(".") :]], (url, media_type)
        assert response.headers["x-content-type-options"] == "nosniff"
        if integrity:
            digest = base64.b64encode(hashlib.sha384(response.content).digest()).decode()
            assert integrity == f"sha384-{digest}", url


async def test_graphiql_has_headers_tab_explorer_and_subscriptions(http):
    script = (await http.get("/graphiql/page.js")).text
    assert "isHeadersEditorEnabled: true" in script
    assert "GraphiQLPluginExplorer.explorerPlugin()" in script
    # Subscriptions go to this page's own address over a websocket (graphql-ws is bundled).
    assert "subscriptionUrl: httpUrlToWebSocketUrl(fetchURL)" in script
    assert b"graphql-transport-ws" in (STATIC_DIR / "graphiql-3.8.3.min.js").read_bytes()


async def test_the_page_policy_allows_only_what_it_needs(http):
    response, _ = await graphiql_page(http)
    policy = dict(
        [*part.strip().split(" ", 1), ""][:2]
        for part in response.headers["content-security-policy"].split(";")
    )
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["connect-src"] == "'self' ws://testserver wss://testserver"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_a_strange_host_is_kept_out_of_the_policy(http):
    response = await http.get("/graphql", headers={"Accept": "text/html", "Host": "a;b"})
    assert "connect-src 'self';" in response.headers["content-security-policy"]


@pytest.mark.parametrize("path", ["/graphiql/../app.py", "/graphiql/nothing.js"])
async def test_nothing_else_is_served(http, path):
    response = await http.get(path)
    assert response.status_code == 404


async def test_assets_are_gzipped_for_browsers(http):
    response = await http.get(
        "/graphiql/graphiql-3.8.3.min.js", headers={"Accept-Encoding": "gzip"}
    )
    assert response.headers["content-encoding"] == "gzip"
    assert len(response.content) == (STATIC_DIR / "graphiql-3.8.3.min.js").stat().st_size


def test_the_wheel_ships_the_page_and_its_assets():
    pyproject = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["gql_crm.http"]
    package_dir = STATIC_DIR.parent.parent
    shipped = [
        path.relative_to(package_dir).as_posix()
        for path in package_dir.rglob("*")
        if path.is_file() and path.suffix != ".py" and "__pycache__" not in path.parts
    ]
    assert "graphiql.html" in shipped and len(shipped) > 8
    for name in shipped:
        assert any(fnmatch(name, pattern) for pattern in patterns), name


async def test_the_example_query_runs(org):
    script = (STATIC_DIR / "page.js").read_text()
    example = script.split("const EXAMPLE_QUERY = `", 1)[1].split("`", 1)[0]
    query = "\n".join(line for line in example.splitlines() if not line.startswith("#"))
    data = await org.data(query)
    assert data["viewer"]["user"]["role"] == "ADMIN"
