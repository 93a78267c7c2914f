"""Automatic persisted queries: documents known by their SHA-256 hash, per organization.

Each process keeps the most recently used ones in a bounded LRU; the database shares them
with every other process, so a document registered through one process is found by all.
"""

import hashlib
from collections import OrderedDict

from gql_crm.models import PersistedQuery


def sha256_of(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


class PersistedQueries:
    def __init__(self, max_cached: int, max_stored: int):
        self.max_cached = max_cached
        # Per organization: one caller cannot fill the table with endless variants. Past
        # it, documents still work (sent in full, or from this process's memory).
        self.max_stored = max_stored
        self._cache: OrderedDict[tuple[int, str], str] = OrderedDict()

    async def find(self, org_id: int, sha256: str) -> str | None:
        key = (org_id, sha256)
        query = self._cache.get(key)
        if query is not None:
            self._cache.move_to_end(key)
            return query
        row = await PersistedQuery.filter(organization_id=org_id, sha256=sha256).first()
        if row is None:
            return None
        self._remember(key, row.query)
        return row.query

    async def register(self, org_id: int, sha256: str, query: str) -> None:
        key = (org_id, sha256)
        if key in self._cache:
            self._cache.move_to_end(key)
            return
        if await PersistedQuery.filter(organization_id=org_id).count() < self.max_stored:
            # Two processes may register the same document at once: the second insert is a
            # no-op (the row is the same).
            await PersistedQuery.bulk_create(
                [PersistedQuery(organization_id=org_id, sha256=sha256, query=query)],
                ignore_conflicts=True,
            )
        self._remember(key, query)

    def _remember(self, key: tuple[int, str], query: str) -> None:
        self._cache[key] = query
        while len(self._cache) > self.max_cached:
            self._cache.popitem(last=False)
