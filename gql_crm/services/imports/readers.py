"""Reading uploaded client files: CSV in any common encoding and dialect, and XLSX.

The format and the encoding come from the bytes, never from the file's name. Rows are read
lazily from the file on disk, so memory does not grow with the file.
"""

import codecs
import csv
import unicodedata
import zipfile
from collections.abc import Generator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import filetype

from gql_crm.services.errors import ErrorCode, UserErrors
from gql_crm.services.messages import CATALOG, Phrase
from gql_crm.services.spreadsheet import unneutralize

SNIFF_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t", "|")
XLSX_WORKBOOK = "xl/workbook.xml"
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# csv refuses fields above 128 KiB by default; a CRM cell is never near this limit.
csv.field_size_limit(1024 * 1024)


def unsupported(reason: str, **params) -> UserErrors:
    """`reason`: a FILE_* phrase of the message catalog, or a MIME type."""
    if reason in CATALOG:
        reason = Phrase(reason)
    return UserErrors.single(ErrorCode.UNSUPPORTED_FILE, "file", reason=reason, **params)


@dataclass(frozen=True)
class FileKind:
    format: str  # "CSV" or "XLSX"
    encoding: str | None = None
    delimiter: str | None = None


def detect(path: Path, max_uncompressed_bytes: int) -> FileKind:
    """What the file really is; UserErrors for anything but a readable CSV or XLSX."""
    with open(path, "rb") as source:
        head = source.read(SNIFF_BYTES)
    if not head.strip(b"\xef\xbb\xbf\xff\xfe\x00 \r\n\t"):
        raise UserErrors.single(ErrorCode.REQUIRED, "file")
    if head.startswith(b"PK\x03\x04"):
        _check_xlsx(path, max_uncompressed_bytes)
        return FileKind("XLSX")
    if head.startswith(OLE2_SIGNATURE):
        raise unsupported("FILE_XLS")
    encoding = _encoding(path, head)
    if encoding is None:
        kind = filetype.guess(head)
        raise unsupported(kind.mime if kind else "FILE_BINARY")
    text = head.decode(encoding, errors="ignore")
    return FileKind("CSV", encoding, sniff_delimiter(text))


def _check_xlsx(path: Path, max_uncompressed_bytes: int) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
    except (zipfile.BadZipFile, OSError):
        raise unsupported("FILE_DAMAGED_ZIP") from None
    if XLSX_WORKBOOK not in names:
        raise unsupported("FILE_ZIP_NOT_XLSX")
    # A zip bomb declares its inflated size; refuse it before inflating anything.
    if sum(info.file_size for info in infos) > max_uncompressed_bytes:
        raise unsupported("FILE_XLSX_TOO_LARGE", max_bytes=max_uncompressed_bytes)


def _encoding(path: Path, head: bytes) -> str | None:
    """The text encoding of the whole file, or None when it is not text."""
    if head.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    elif len(head) > 1 and head[1::2].count(0) > len(head) // 4:
        candidates = ["utf-16-le"]
    elif len(head) > 1 and head[0::2].count(0) > len(head) // 4:
        candidates = ["utf-16-be"]
    elif b"\x00" in head:
        return None
    else:
        # UTF-8 is strict enough that any other encoding almost never passes as it.
        candidates = ["utf-8", "cp1252", "latin-1"]
    for encoding in candidates:
        if _decodes(path, encoding):
            if not _looks_like_text(head.decode(encoding, errors="ignore")):
                return None
            return encoding
    return None


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with open(path, "rb") as source:
            while chunk := source.read(1024 * 1024):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _looks_like_text(text: str) -> bool:
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\r\n")
    return controls <= len(text) // 100


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the most, and most regular, columns."""
    lines = [line for line in text.splitlines()[:50] if line.strip()][:20]
    if len(lines) > 1:
        # The last line of a sniffed head may be cut short.
        lines = lines[:-1] if len(text) >= SNIFF_BYTES else lines
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        except csv.Error:
            continue
        if not counts or counts[0] < 2:
            continue
        score = (sum(1 for count in counts if count == counts[0]), counts[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


# ---- rows -------------------------------------------------------------------------------


def cell_text(value: object) -> str:
    """A cell as the text a user typed: 612345678.0 -> "612345678", dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    # XLSX cells are typed: the export never neutralizes them, so neither does this.
    return str(value)


def csv_records(path: Path, kind: FileKind) -> Generator[list[str]]:
    """Every record of a CSV file, blank ones as []; cells as the user typed them."""
    assert kind.delimiter is not None, "detect() gives a CSV its delimiter"
    with open(path, encoding=kind.encoding, newline="") as source:
        for record in csv.reader(source, delimiter=kind.delimiter, strict=False):
            yield [unneutralize(cell) for cell in record]


def xlsx_records(path: Path, sheet: str | None) -> Generator[list[str]]:
    """Rows of the named (else the first) sheet, read streaming by openpyxl's read-only mode."""
    from openpyxl import load_workbook

    with open(path, "rb") as source:
        try:
            # A file object: openpyxl refuses paths whose extension is not .xlsx.
            workbook = load_workbook(source, read_only=True, data_only=True)
        except Exception:
            raise unsupported("FILE_UNREADABLE_XLSX") from None
        try:
            if sheet is not None and sheet not in workbook.sheetnames:
                raise UserErrors.single(
                    ErrorCode.NOT_FOUND, "options", "sheet", choices=", ".join(workbook.sheetnames)
                )
            worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
            for row in worksheet.iter_rows(values_only=True):
                yield [cell_text(value) for value in row]
        finally:
            workbook.close()


def records(path: Path, kind: FileKind, sheet: str | None = None) -> Generator[list[str]]:
    if kind.format == "XLSX":
        return xlsx_records(path, sheet)
    return csv_records(path, kind)
