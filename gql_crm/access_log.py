"""The logs of `gql-crm serve`: each line with its request ID, and uvicorn's access log
without secrets: no signed-link tokens, no GraphQL variables.

A signed download link is a bearer credential until it expires, and GET variables carry
whatever the client searched or sent; neither belongs in a log file.
"""

import logging
from typing import Any
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


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's default logging, every line with its request ID ("-" outside requests),
    the access lines without secrets, and the application's own loggers shown too."""
    from uvicorn.config import LOGGING_CONFIG

    config = {**LOGGING_CONFIG}
    config["filters"] = {
        **config.get("filters", {}),
        "redact_secrets": {"()": "gql_crm.access_log.RedactSecrets"},
        "request_id": {"()": "gql_crm.http.request_id.RequestIDFilter"},
    }
    config["formatters"] = {
        name: {
            **formatter,
            "fmt": formatter["fmt"].replace(
                "%(levelprefix)s ", "%(levelprefix)s [%(request_id)s] ", 1
            ),
        }
        for name, formatter in LOGGING_CONFIG["formatters"].items()
    }
    config["handlers"] = {
        name: {**handler, "filters": [*handler.get("filters", []), "request_id"]}
        for name, handler in LOGGING_CONFIG["handlers"].items()
    }
    config["handlers"]["access"]["filters"].append("redact_secrets")
    # Warnings of any library (Tortoise, asyncio) reach the same handler, with their ID.
    config["root"] = {"handlers": ["default"], "level": "WARNING"}
    config["loggers"] = {**LOGGING_CONFIG["loggers"], "gql_crm": {"level": "INFO"}}
    return config
