import unicodedata


def fold(value: str) -> str:
    """Case- and accent-insensitive key: "José Núñez" -> "jose nunez"."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
