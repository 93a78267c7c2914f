"""The schema-change check on small schemas and throwaway repositories."""

import io
import subprocess

from gql_crm.schema_check import SCHEMA_PATH, breaking_changes, declares_break, run

OLD = """
type Query { invoice(id: ID!): Invoice }
type Invoice { id: ID! total: String! status: Status! }
enum Status { DRAFT PAID }
"""

# Only additions: a new optional argument, a new field, a new enum value.
COMPATIBLE = """
type Query { invoice(id: ID!, at: String): Invoice }
type Invoice { id: ID! total: String! status: Status! number: String }
enum Status { DRAFT PAID CANCELED }
"""

# A removed field, a changed type, a removed enum value and a new required argument.
BREAKING = """
type Query { invoice(id: ID!, kind: String!): Invoice }
type Invoice { id: ID! total: Int! status: Status! }
enum Status { DRAFT }
"""


def test_additions_do_not_break():
    assert breaking_changes(OLD, COMPATIBLE) == []
    assert breaking_changes(OLD, OLD) == []


def test_removals_and_type_changes_break():
    found = breaking_changes(OLD, BREAKING)
    kinds = {line.split(":")[0]: line for line in found}
    assert set(kinds) == {"FIELD_CHANGED_KIND", "VALUE_REMOVED_FROM_ENUM", "REQUIRED_ARG_ADDED"}
    assert "Invoice.total" in kinds["FIELD_CHANGED_KIND"]
    assert "PAID" in kinds["VALUE_REMOVED_FROM_ENUM"]
    assert "kind" in kinds["REQUIRED_ARG_ADDED"]


def test_a_break_is_declared_by_a_marker_or_a_trailer():
    assert declares_break("Rename X\n\nBREAKING SCHEMA CHANGE: nothing has shipped")
    assert declares_break("Rename X\n\nSchema-Break: nothing has shipped\n")
    assert not declares_break("Rename X\n\nSchema-Break:\n")
    assert not declares_break("Rename X, a breaking schema change")


def git(path, *args):
    subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@example.com", *args],
        cwd=path,
        check=True,
        capture_output=True,
    )


def commit(path, sdl: str, message: str) -> None:
    (path / SCHEMA_PATH).write_text(sdl)
    git(path, "add", SCHEMA_PATH)
    git(path, "commit", "-q", "-m", message)


def check(path, base: str = "HEAD~1") -> tuple[int, str]:
    out = io.StringIO()
    return run(path, base, out), out.getvalue()


def test_the_last_commit_must_declare_a_break(tmp_path):
    git(tmp_path, "init", "-q")
    commit(tmp_path, OLD, "First schema")
    status, out = check(tmp_path)
    assert status == 0 and "nothing to compare" in out

    commit(tmp_path, COMPATIBLE, "Add number")
    assert check(tmp_path)[0] == 0

    commit(tmp_path, BREAKING, "Drop number")
    status, out = check(tmp_path)
    assert status == 1
    assert "breaks the schema without saying so" in out and "Invoice.number" in out

    git(
        tmp_path,
        "commit",
        "-q",
        "--amend",
        "-m",
        "Drop number\n\nSchema-Break: nobody reads it yet",
    )
    status, out = check(tmp_path)
    assert status == 0 and "declared in the commit message" in out

    # A range checks each of its commits: the undeclared one is found behind a later one.
    commit(tmp_path, COMPATIBLE, "Put number back")
    commit(tmp_path, OLD, "Drop number again")
    git(tmp_path, "commit", "-q", "--allow-empty", "-m", "Unrelated")
    status, out = check(tmp_path, "HEAD~3")
    assert status == 1 and "Drop number again" in out
    status, out = check(tmp_path)  # the last commit alone does not touch the schema
    assert status == 0 and "no commit of HEAD~1..HEAD changes schema.graphql" in out


def test_a_shallow_clone_is_skipped_with_a_clear_message(tmp_path):
    origin, clone = tmp_path / "origin", tmp_path / "clone"
    origin.mkdir()
    git(origin, "init", "-q")
    commit(origin, OLD, "First")
    commit(origin, BREAKING, "Break")
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{origin}", str(clone))
    status, out = check(clone)
    assert status == 0
    assert "SKIPPED" in out and "git fetch --unshallow" in out
