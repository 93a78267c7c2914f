"""Settings: one declaration each, read from GQL_CRM_* variables, overridden by CLI flags."""

from pathlib import Path

import pytest

from gql_crm.config import DEFAULT_DATABASE_URL, Settings


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
