"""Every foreign key a parent is read or deleted by has an index of its own on PostgreSQL,
which (unlike SQLite's planner for its own checks) never adds one by itself."""

import pytest
from tortoise import connections

from tests.conftest import TEST_DATABASE_URL

# References to a user, an organization or a category: rows the API never deletes in bulk
# (a user is deactivated; a category is deleted one at a time) and never lists children by.
UNINDEXED = {
    ("activity", "actor_id"),
    ("apitoken", "organization_id"),
    ("apitoken", "user_id"),
    ("client", "category_id"),
    ("deal", "owner_id"),
    ("file", "uploaded_by_id"),
    ("importjob", "created_by_id"),
    ("importundo", "created_by_id"),
    ("task", "assignee_id"),
    ("timelog", "user_id"),
}


@pytest.mark.skipif(
    TEST_DATABASE_URL.startswith("sqlite"), reason="PostgreSQL's catalog is what is checked"
)
async def test_foreign_keys_lead_an_index(database):
    rows = await connections.get("default").execute_query_dict(
        """
        SELECT c.conrelid::regclass::text AS "table", a.attname AS "column"
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
          AND NOT EXISTS (
            SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1]
          )
        """
    )
    assert {(row["table"], row["column"]) for row in rows} == UNINDEXED
