"""Every error code a client can meet has its message in every supported language, with
the same parameters in each (services/messages.py is the one catalog)."""

import re
from pathlib import Path
from string import Formatter

import pytest

from gql_crm.services.errors import ErrorCode
from gql_crm.services.messages import CATALOG, SUPPORTED_LANGUAGES, message
from tests.helpers import CREATE_CLIENT

README = Path(__file__).resolve().parent.parent / "README.md"
# Request errors whose message is not the catalog's entry for their code: graphql-core's own
# (parsing, validation), or always the message of the `reason` sent with them.
NOT_THEIR_OWN_MESSAGE = {
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
    "OPERATION_RESOLUTION_FAILURE",
    "BAD_USER_INPUT",
}


def documented_request_codes() -> set[str]:
    """The codes and reasons of the README's error code table."""
    text = README.read_text()
    table = text[text.index("### Error codes") : text.index("### Codegen")]
    names = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table)) | set(
        re.findall(r"reason: ([A-Z_]+)", table)
    )
    return {name for name in names if not name.startswith("GQL_CRM_")} - NOT_THEIR_OWN_MESSAGE


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name}


@pytest.mark.parametrize("code", sorted(ErrorCode))
def test_every_user_error_code_has_a_message_in_every_language(code):
    texts = CATALOG[code]
    assert all(texts.get(language) for language in SUPPORTED_LANGUAGES), texts


@pytest.mark.parametrize("code", sorted(documented_request_codes()))
def test_every_documented_request_error_has_a_message_in_every_language(code):
    texts = CATALOG[code]
    assert all(texts.get(language) for language in SUPPORTED_LANGUAGES), texts


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_each_language_has_the_entry_and_fills_the_same_parameters(key):
    texts = CATALOG[key]
    assert set(texts) == set(SUPPORTED_LANGUAGES)
    assert len({frozenset(placeholders(text)) for text in texts.values()}) == 1, texts


async def test_user_errors_answer_in_the_callers_language(org):
    body = await org.gql(
        CREATE_CLIENT, {"input": {"name": ""}}, headers={"Accept-Language": "es-ES,en;q=0.5"}
    )
    assert body["data"]["createClient"]["errors"] == [
        {"code": "REQUIRED", "field": ["name"], "message": message("REQUIRED", "es")}
    ]


async def test_the_csrf_refusal_answers_in_the_callers_language(http, org):
    response = await http.post(
        "/graphql",
        files={"operations": (None, '{"query": "{ viewer { role } }"}'), "map": (None, "{}")},
        headers={"Authorization": f"Bearer {org.tokens['ADMIN']}", "Accept-Language": "es"},
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "CSRF_PREFLIGHT_REQUIRED"
    assert error["message"] == message("CSRF_PREFLIGHT_REQUIRED", "es")
