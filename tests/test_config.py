"""Settings: one declaration each, read from GQL_CRM_* variables, overridden by CLI flags."""

import dataclasses
from pathlib import Path

import pytest

from gql_crm.config import DEFAULT_DATABASE_URL, CommaSeparated, Settings


def test_defaults_without_environment():
    assert Settings.from_env({}) == Settings()
    assert Settings().database_url == DEFAULT_DATABASE_URL


def test_every_setting_reads_its_variable_with_its_type():
    settings = Settings.from_env(
        {
            "GQL_CRM_DATABASE_URL": "postgres://db/crm",
            "GQL_CRM_MEDIA_DIR": "/srv/media",
            "GQL_CRM_MAX_PAGE_SIZE": "25",
        }
    )
    assert settings.database_url == "postgres://db/crm"
    assert settings.media_dir == Path("/srv/media")
    assert settings.max_page_size == 25


def test_flags_win_over_the_environment_unless_omitted():
    environ = {"GQL_CRM_DATABASE_URL": "postgres://db/crm", "GQL_CRM_MAX_TOKENS": "10"}
    assert Settings.from_env(environ, database_url="sqlite://x.sqlite3").database_url == (
        "sqlite://x.sqlite3"
    )
    assert Settings.from_env(environ, database_url=None).database_url == "postgres://db/crm"


def test_a_malformed_number_names_its_variable():
    with pytest.raises(ValueError, match="GQL_CRM_MAX_PAGE_SIZE"):
        Settings.from_env({"GQL_CRM_MAX_PAGE_SIZE": "many"})


def _another_value(setting: dataclasses.Field) -> tuple[str, object]:
    """A value other than the default, as its variable spells it and as read."""
    default = setting.default
    if setting.type is bool:
        return ("false", False) if default else ("true", True)
    if setting.type is int:
        return str(default + 7), default + 7
    if setting.type is float:
        return str(default + 0.5), default + 0.5
    if setting.type is Path:
        return "/srv/elsewhere", Path("/srv/elsewhere")
    if setting.type is CommaSeparated:
        return "https://a.example, ,https://b.example", ("https://a.example", "https://b.example")
    assert setting.type is str, f"{setting.name}: a type this test does not know"
    return "something-else", "something-else"


@pytest.mark.parametrize("setting", dataclasses.fields(Settings), ids=lambda s: s.name)
def test_each_setting_is_read_from_its_own_variable(setting):
    text, value = _another_value(setting)
    read = Settings.from_env({f"GQL_CRM_{setting.name.upper()}": text})
    assert getattr(read, setting.name) == value
    # Only that setting changed.
    assert dataclasses.replace(read, **{setting.name: setting.default}) == Settings()
