"""Accept-style headers: the language of messages and the media type of answers."""

import pytest

from gql_crm.http.errors import GRAPHQL_RESPONSE_JSON, JSON, response_media_type
from gql_crm.services.messages import pick_language


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "en"),
        ("", "en"),
        ("es", "es"),
        ("es-ES,es;q=0.9,en;q=0.5", "es"),
        ("en;q=0.4, es;q=0.8", "es"),
        ("fr, es;q=0.1", "es"),
        ("es;q=0, en", "en"),
        ("es;q=abc, en;q=0.2", "en"),
        ("en, es", "en"),
        ("ES-mx;level=1;q=0.7, en;q=0.6", "es"),
    ],
)
def test_pick_language_follows_q_values(header, language):
    assert pick_language(header) == language


@pytest.mark.parametrize(
    ("header", "media_type"),
    [
        (None, JSON),
        ("application/json", JSON),
        (f"{GRAPHQL_RESPONSE_JSON},application/json;q=0.9", GRAPHQL_RESPONSE_JSON),
        (f"application/json, {GRAPHQL_RESPONSE_JSON};q=0.5", JSON),
        (f"{GRAPHQL_RESPONSE_JSON};q=x, application/json", JSON),
    ],
)
def test_response_media_type_follows_q_values(header, media_type):
    assert response_media_type(header) == media_type
