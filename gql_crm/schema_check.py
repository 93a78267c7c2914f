"""The schema-change check: a commit that breaks schema.graphql for existing clients
(graphql-core's find_breaking_changes against the schema before it) must say so in its
message, with a line "BREAKING SCHEMA CHANGE: <why>" or a trailer "Schema-Break: <why>".

    python -m gql_crm.schema_check [--base REV]

checks every commit of REV..HEAD (first parents only: the commits of the branch; default
HEAD~1, the last commit) that changed schema.graphql. Exit status 1 when one breaks the
schema without saying so; 0 otherwise, and also when there is nothing to compare with (the
first commit, or a shallow clone: then it says how to get the history).
"""

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from graphql import build_schema, find_breaking_changes, find_dangerous_changes

SCHEMA_PATH = "schema.graphql"
BREAK_MARKERS = (
    re.compile(r"BREAKING SCHEMA CHANGE:\s*\S"),
    re.compile(r"^Schema-Break:\s*\S", re.MULTILINE),
)


def breaking_changes(old_sdl: str, new_sdl: str) -> list[str]:
    """What `new_sdl` breaks for clients written against `old_sdl`, one line each."""
    changes = find_breaking_changes(build_schema(old_sdl), build_schema(new_sdl))
    return [f"{change.type.name}: {change.description}" for change in changes]


def dangerous_changes(old_sdl: str, new_sdl: str) -> list[str]:
    """Changes that may alter existing clients' results (a new enum value, a new default)."""
    changes = find_dangerous_changes(build_schema(old_sdl), build_schema(new_sdl))
    return [f"{change.type.name}: {change.description}" for change in changes]


def declares_break(message: str) -> bool:
    return any(marker.search(message) for marker in BREAK_MARKERS)


@dataclass
class Verdict:
    commit: str
    subject: str
    breaking: list[str]
    dangerous: list[str]
    declared: bool

    @property
    def failed(self) -> bool:
        return bool(self.breaking) and not self.declared


def check_commit(old_sdl: str, new_sdl: str, commit: str, message: str) -> Verdict:
    return Verdict(
        commit=commit,
        subject=message.splitlines()[0] if message else "",
        breaking=breaking_changes(old_sdl, new_sdl),
        dangerous=dangerous_changes(old_sdl, new_sdl),
        declared=declares_break(message),
    )


class Repo:
    def __init__(self, root: Path):
        self.root = root

    def git(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", *args], cwd=self.root, capture_output=True, text=True)

    def resolves(self, rev: str) -> bool:
        return self.git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").returncode == 0

    def is_shallow(self) -> bool:
        return self.git("rev-parse", "--is-shallow-repository").stdout.strip() == "true"

    def commits(self, base: str) -> list[str]:
        found = self.git(
            "rev-list", "--first-parent", "--reverse", f"{base}..HEAD", "--", SCHEMA_PATH
        )
        return found.stdout.split()

    def schema_at(self, rev: str) -> str | None:
        shown = self.git("show", f"{rev}:{SCHEMA_PATH}")
        return shown.stdout if shown.returncode == 0 else None

    def message(self, commit: str) -> str:
        return self.git("log", "-1", "--format=%B", commit).stdout


def run(root: Path, base: str, out=sys.stdout) -> int:
    repo = Repo(root)
    if not repo.resolves("HEAD"):
        print("schema check: not a git checkout with commits; nothing to check.", file=out)
        return 0
    if not repo.resolves(base):
        if repo.is_shallow():
            print(
                f"schema check SKIPPED: {base} is not in this shallow clone. Fetch the "
                "history (git fetch --unshallow, or clone without --depth) to check "
                "schema changes.",
                file=out,
            )
        else:
            print(
                f"schema check: {base} does not exist (the first commit?); nothing to "
                "compare with.",
                file=out,
            )
        return 0
    failed = False
    commits = repo.commits(base)
    if not commits:
        print(f"schema check: no commit of {base}..HEAD changes {SCHEMA_PATH}.", file=out)
    for commit in commits:
        old_sdl = repo.schema_at(f"{commit}^1") if repo.resolves(f"{commit}^1") else None
        new_sdl = repo.schema_at(commit)
        if old_sdl is None or new_sdl is None:
            print(
                f"schema check: {commit[:10]} adds or removes {SCHEMA_PATH}; nothing to compare.",
                file=out,
            )
            continue
        verdict = check_commit(old_sdl, new_sdl, commit, repo.message(commit))
        label = f"{commit[:10]} {verdict.subject}"
        for line in verdict.dangerous:
            print(f"schema check: {label}: dangerous (not breaking) {line}", file=out)
        if not verdict.breaking:
            print(f"schema check: {label}: no breaking change", file=out)
        elif verdict.declared:
            print(
                f"schema check: {label}: {len(verdict.breaking)} breaking changes, "
                "declared in the commit message",
                file=out,
            )
        else:
            failed = True
            print(f"schema check FAILED: {label} breaks the schema without saying so:", file=out)
            for line in verdict.breaking:
                print(f"  {line}", file=out)
            print(
                "  If it is meant, say so in the commit message: a line "
                "'BREAKING SCHEMA CHANGE: <why>' or a trailer 'Schema-Break: <why>'.",
                file=out,
            )
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--base", default="HEAD~1", help="check the commits after this one (default: HEAD~1)"
    )
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the repository")
    args = parser.parse_args(argv)
    return run(args.root, args.base)


if __name__ == "__main__":
    sys.exit(main())
