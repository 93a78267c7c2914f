"""Signed, expiring, organization-bound tokens for download URLs (itsdangerous, salted by
purpose so that a token signed for one kind of link opens no other)."""

import functools
import secrets
import time
from pathlib import Path

from itsdangerous import BadData, URLSafeSerializer

from gql_crm.config import Settings


def secret_key(settings: Settings) -> bytes:
    """GQL_CRM_SECRET_KEY, or a random key kept in the media directory across restarts.

    Several workers or machines must share one key: set GQL_CRM_SECRET_KEY for those.
    """
    if settings.secret_key:
        return settings.secret_key.encode()
    path = Path(settings.media_dir) / ".secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip().encode()


@functools.lru_cache(maxsize=32)
def _serializer(settings: Settings, purpose: str) -> URLSafeSerializer:
    # The key is read once per settings and purpose, not on every signature.
    return URLSafeSerializer(secret_key(settings), salt=purpose)


def sign(settings: Settings, purpose: str, org_id: int, payload: dict, ttl_seconds: int) -> str:
    # The expiry travels inside the signed claims: each kind of link picks its own lifetime.
    return sign_until(settings, purpose, org_id, payload, expiry(ttl_seconds))


def expiry(ttl_seconds: int, period: int = 1) -> int:
    """When a token signed now for at least `ttl_seconds` expires: the end of the `period`
    (in seconds) that time falls in, so that every token of the same claims signed within
    one period is the same."""
    return -(-(int(time.time()) + ttl_seconds) // period) * period


def sign_until(settings: Settings, purpose: str, org_id: int, payload: dict, expires: int) -> str:
    claims = {"o": org_id, "e": expires, "d": payload}
    return _serializer(settings, purpose).dumps(claims)


def verify(settings: Settings, purpose: str, token: str) -> tuple[int, dict] | None:
    """(organization id, payload) of a valid, unexpired token for `purpose`; else None."""
    try:
        claims = _serializer(settings, purpose).loads(token)
    except BadData:
        return None
    if claims["e"] < time.time():
        return None
    return claims["o"], claims["d"]
