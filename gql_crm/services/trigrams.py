"""Which part of a search word PostgreSQL's trigram index should look up.

pg_trgm's GIN index answers `LIKE '%word%'` by intersecting the row lists of every trigram
of the word, and a trigram most rows hold has a list as long as the table: at 1,000,000
clients, `client500001@` (its "cli", "lie", "ien", "ent" are in every address) took 56 ms
in the index where `t500001` took 2.5 ms. The search condition (services.clients) then
looks up only the word's stretches made of rarer trigrams, and checks the whole word on
the rows they find: the same rows, since each stretch is part of the word.

How common a trigram is comes from PostgreSQL's statistics on `show_trgm(search_text)`
(migration 0014, gathered by ANALYZE): the most common ones and their share of rows. A
process reads them at most every REFRESH_SECONDS; without them every word is looked up
whole, as before.
"""

import logging
import re
import time

from tortoise import connections

logger = logging.getLogger("gql_crm.search")

STATISTICS = "client_search_trigrams"
REFRESH_SECONDS = 300.0
# A trigram in more rows than this is not worth reading in the index: it rules out less
# than half the rows, and its list costs as much as checking thousands of rows. Kept high:
# the planner estimates the stretches as independent conditions, so splitting a word it
# would have walked the date index for (`ferreteria`, whose most common trigram is in 33%
# of the rows) made it read 7,000 rows through the index instead (6 ms -> 99 ms).
COMMON = 0.5
# Trigrams are counted on letters and digits; pg_trgm's own idea of a letter depends on
# the database's locale, so only ASCII stretches are chosen (each gives a trigram anywhere).
_WORD = re.compile(r"[a-z0-9]{3,}")


class _Frequencies:
    def __init__(self) -> None:
        self.shares: dict[str, float] = {}
        self.read_at = float("-inf")
        # Bumped when the shares change: statements built with the old ones are rebuilt.
        self.version = 0


frequencies = _Frequencies()


async def refresh(force: bool = False) -> None:
    """Reads the trigram statistics when those held are older than REFRESH_SECONDS."""
    now = time.monotonic()
    if not force and now - frequencies.read_at < REFRESH_SECONDS:
        return
    frequencies.read_at = now
    connection = connections.get("default")
    if connection.capabilities.dialect != "postgres":
        return
    try:
        _, rows = await connection.execute_query(
            "SELECT most_common_elems::text::text[], most_common_elem_freqs "
            "FROM pg_stats_ext_exprs WHERE statistics_name = $1",
            [STATISTICS],
        )
    except Exception:
        # Only the choice of what to look up depends on them, never an answer.
        logger.warning("could not read the search's trigram statistics", exc_info=True)
        return
    shares: dict[str, float] = {}
    if rows and rows[0][0] is not None:
        # The frequencies list ends with three summary numbers, which zip leaves out.
        shares = dict(zip(rows[0][0], rows[0][1], strict=False))
    if shares != frequencies.shares:
        frequencies.shares = shares
        frequencies.version += 1


def _common(trigram: str) -> bool:
    return frequencies.shares.get(trigram, 0.0) > COMMON


def _padded_trigrams(term: str) -> list[str]:
    """The trigrams pg_trgm adds where a word of `term` meets a non-word character inside
    it (two blanks before a word, one after; none at the term's ends, LIKE's wildcards)."""
    trigrams = []
    for word in re.finditer(r"[a-z0-9]+", term):
        if word.start() > 0:
            trigrams.append("  " + word.group()[0])
            trigrams.append(" " + word.group()[:2])
        if word.end() < len(term):
            trigrams.append(word.group()[-2:] + " ")
    return [t for t in trigrams if len(t) == 3]


def index_parts(term: str) -> list[str]:
    """The stretches of `term` (3 characters or more) the index should look up instead of
    the whole term; empty when the whole term is best (none of its trigrams is common,
    or all of them are)."""
    if not frequencies.shares:
        return []
    parts: list[str] = []
    common = False
    for word in _WORD.finditer(term):
        text = word.group()
        run_start = None
        # Trigram i covers text[i:i + 3]; a stretch is a run of consecutive rare ones.
        for i in range(len(text) - 1):
            rare = i < len(text) - 2 and not _common(text[i : i + 3])
            common = common or (i < len(text) - 2 and not rare)
            if rare and run_start is None:
                run_start = i
            elif not rare and run_start is not None:
                parts.append(text[run_start : i + 2])
                run_start = None
    common = common or any(_common(t) for t in _padded_trigrams(term))
    return parts if common else []
