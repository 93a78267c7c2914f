"""Signed, expiring, organization-bound tokens for download URLs."""

import base64
import hashlib
import hmac
import json
import secrets
import time
from pathlib import Path

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


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(settings: Settings, purpose: str, org_id: int, payload: dict, ttl_seconds: int) -> str:
    body = _b64(
        json.dumps(
            {"p": purpose, "o": org_id, "e": int(time.time()) + ttl_seconds, "d": payload},
            separators=(",", ":"),
        ).encode()
    )
    mac = hmac.new(secret_key(settings), body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def verify(settings: Settings, purpose: str, token: str) -> tuple[int, dict] | None:
    """(organization id, payload) of a valid, unexpired token for `purpose`; else None."""
    body, _, mac = token.partition(".")
    try:
        expected = hmac.new(secret_key(settings), body.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(mac)):
            return None
        claims = json.loads(_unb64(body))
    except (ValueError, TypeError):
        return None
    if claims.get("p") != purpose or claims.get("e", 0) < time.time():
        return None
    return claims["o"], claims["d"]
