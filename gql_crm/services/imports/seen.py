"""Keys already met in a file, kept in a temporary SQLite file so memory stays flat."""

import sqlite3
import tempfile
from itertools import chain

from gql_crm.services.imports.writer import MAX_ARGUMENTS


class SeenKeys:
    """Each key with the number of the first row that had it."""

    def __init__(self):
        # Lives as long as this object, which close() ends.
        self._file = tempfile.NamedTemporaryFile(suffix=".sqlite3")  # noqa: SIM115
        self._db = sqlite3.connect(self._file.name)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("CREATE TABLE seen (key TEXT PRIMARY KEY, row INTEGER) WITHOUT ROWID")

    def first_rows(self, keys: list[str]) -> dict[str, int]:
        """The keys of `keys` seen before, with their first row: a statement per batch."""
        found: dict[str, int] = {}
        for start in range(0, len(keys), MAX_ARGUMENTS):
            chunk = keys[start : start + MAX_ARGUMENTS]
            query = f"SELECT key, row FROM seen WHERE key IN ({','.join('?' * len(chunk))})"
            found.update(self._db.execute(query, chunk).fetchall())
        return found

    def add(self, rows: list[tuple[str, int]]) -> None:
        """One INSERT ... VALUES per batch rather than an executemany's statement per key."""
        per_statement = MAX_ARGUMENTS // 2
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            values = ",".join(["(?,?)"] * len(chunk))
            self._db.execute(
                f"INSERT OR IGNORE INTO seen VALUES {values}", list(chain.from_iterable(chunk))
            )

    def close(self) -> None:
        self._db.close()
        self._file.close()
