"""The access log keeps no signed-link token and no GraphQL variables (issue 11 item 19)."""

import logging

import pytest

from gql_crm.access_log import RedactSecrets, redact, uvicorn_log_config


@pytest.mark.parametrize(
    "target, logged",
    [
        ("/files/7?token=abc.def", "/files/7"),
        ("/files/7?token=abc&download=1", "/files/7?download=1"),
        ("/exports/eyJ0b2tlbiI6MX0.sig", "/exports/[redacted]"),
        ("/imports/failed-rows/eyJ.sig", "/imports/failed-rows/[redacted]"),
        (
            "/graphql?query=%7B+viewer+%7D&variables=%7B%22s%22%3A1%7D",
            "/graphql?query=%7B+viewer+%7D",
        ),
        ("/graphql?extensions=%7B%7D&query=q", "/graphql?query=q"),
        ("/graphql", "/graphql"),
        ("/healthz", "/healthz"),
    ],
)
def test_request_targets_lose_their_secrets(target, logged):
    assert redact(target) == logged


def test_the_filter_rewrites_uvicorns_access_record():
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/files/3?token=secret", "1.1", 200),
        None,
    )
    assert RedactSecrets().filter(record)
    assert "secret" not in record.getMessage()
    assert '"GET /files/3 HTTP/1.1" 200' in record.getMessage()


def test_serve_filters_the_access_handler():
    config = uvicorn_log_config()
    assert "redact_secrets" in config["handlers"]["access"]["filters"]
    assert config["filters"]["redact_secrets"]["()"] == "gql_crm.access_log.RedactSecrets"
