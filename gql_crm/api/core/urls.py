"""Links the API hands out (downloads, exports), absolute so any client can follow them."""

from strawberry.types import Info


def absolute_url(info: Info, path: str) -> str:
    return str(info.context.request.base_url).rstrip("/") + path
