"""Links the API hands out (downloads, exports), absolute so any client can follow them."""

from starlette.requests import HTTPConnection
from strawberry.types import Info


def base_url(connection: HTTPConnection) -> str:
    """The address the caller reached the API at, without a trailing slash."""
    return str(connection.base_url).rstrip("/")


def absolute_url(info: Info, path: str) -> str:
    return base_url(info.context.request) + path
