"""What a file is, from its bytes; and a name it may be downloaded under."""

import codecs
import re
import unicodedata

import filetype

# filetype reads signatures (ZIP-based office documents included) from the first 8 KiB.
SNIFF_BYTES = 8192
MAX_NAME_LENGTH = 255

# The types an attachment may have, with the extensions a download of each may carry.
ATTACHMENT_TYPES: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (".pptx",),
    "application/vnd.oasis.opendocument.text": (".odt",),
    "application/vnd.oasis.opendocument.spreadsheet": (".ods",),
    "application/vnd.oasis.opendocument.presentation": (".odp",),
    "text/plain": (".txt", ".csv", ".md", ".log"),
}
# Browsers may show these inline; everything else is served as a download.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def detect_content_type(head: bytes) -> str | None:
    """The content type of a file from its first bytes, if it is one attachments accept."""
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime if kind.mime in ATTACHMENT_TYPES else None
    if _is_text(head):
        return "text/plain"
    return None


def guessed_type(head: bytes) -> str | None:
    """What the bytes look like, accepted or not (for the message that refuses them)."""
    kind = filetype.guess(head)
    return kind.mime if kind else None


def _is_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        # final=False: the sniffed head may cut a multi-byte character in two.
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\t\r\n\f" for ch in text)


def safe_file_name(raw: str | None, content_type: str) -> str:
    """The uploaded name made harmless for a download of `content_type`.

    Only the last path component survives; control and bidi characters go (so "cv\u202etxt.exe"
    cannot pose as a text file); and the extension must be one of the content type's, else
    the right one is appended: a text file named "x.html" downloads as "x.html.txt", and is
    never opened by a browser as a page.
    """
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] not in "CZ" or ch == " ")
    name = re.sub(r'[<>:"|?*]', "_", name).strip().lstrip(".").strip() or "file"
    extensions = ATTACHMENT_TYPES.get(content_type) or (".bin",)
    stem, dot, extension = name.rpartition(".")
    if not dot or f".{extension.lower()}" not in extensions:
        stem, extension = name, extensions[0].lstrip(".")
    return f"{stem[: MAX_NAME_LENGTH - len(extension) - 1]}.{extension}"
