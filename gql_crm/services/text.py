import unicodedata


def fold(value: str) -> str:
    """Case- and accent-insensitive key: "José Núñez" -> "jose nunez"."""
    if value.isascii():
        # Nothing to decompose: the fast path for most of an import's cells.
        return value.lower()
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
