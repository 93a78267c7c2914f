"""uvicorn's access log without secrets: no signed-link tokens, no GraphQL variables.

A signed download link is a bearer credential until it expires, and GET variables carry
whatever the client searched or sent; neither belongs in a log file.
"""

import logging
from urllib.parse import parse_qsl, urlencode

# Paths whose last segment is a signed token.
TOKEN_PATHS = ("/exports/", "/imports/failed-rows/")
# Query parameters left out: a file link's signature, GraphQL variables and extensions.
SECRET_PARAMS = frozenset({"token", "variables", "extensions"})
REDACTED = "[redacted]"


def redact(path_with_query: str) -> str:
    """The request target as logged: token segments masked, secret parameters dropped."""
    path, _, query = path_with_query.partition("?")
    for prefix in TOKEN_PATHS:
        if path.startswith(prefix) and len(path) > len(prefix):
            path = prefix + REDACTED
    kept = [
        (name, value)
        for name, value in parse_qsl(query, keep_blank_values=True)
        if name not in SECRET_PARAMS
    ]
    return f"{path}?{urlencode(kept)}" if kept else path


class RedactSecrets(logging.Filter):
    """For uvicorn.access, whose records carry the target as their third argument."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact(args[2]), *args[3:])
        return True


def uvicorn_log_config() -> dict:
    """uvicorn's default logging, its access handler filtered."""
    from uvicorn.config import LOGGING_CONFIG

    config = {**LOGGING_CONFIG, "handlers": {**LOGGING_CONFIG["handlers"]}}
    config["filters"] = {
        **config.get("filters", {}),
        "redact_secrets": {"()": "gql_crm.access_log.RedactSecrets"},
    }
    access = {**config["handlers"]["access"]}
    access["filters"] = [*access.get("filters", []), "redact_secrets"]
    config["handlers"]["access"] = access
    return config
