"""The rows a job refused, as a CSV to fix and upload again: the original columns plus one
holding the errors, behind a signed, short-lived link."""

import csv
import io
from collections.abc import AsyncIterator

from gql_crm.config import Settings
from gql_crm.models import ImportJob, ImportRowError
from gql_crm.services import signing
from gql_crm.services.spreadsheet import ERROR_HEADERS, UTF8_BOM, neutralize

SIGNED_PURPOSE = "import-failed-rows"
BATCH_SIZE = 2000


def token(settings: Settings, job: ImportJob) -> str:
    return signing.sign(
        settings, SIGNED_PURPOSE, job.organization_id, {"j": job.id}, settings.download_url_ttl
    )


async def redeem(settings: Settings, signed: str) -> ImportJob | None:
    claims = signing.verify(settings, SIGNED_PURPOSE, signed)
    if claims is None:
        return None
    return await ImportJob.get_or_none(organization_id=claims[0], id=claims[1].get("j"))


def file_name(job: ImportJob) -> str:
    stem = job.file_name.rsplit(".", 1)[0] or "import"
    return f"{stem}-failed-rows.csv"


async def stream(job: ImportJob) -> AsyncIterator[bytes]:
    """One line per failed row, its errors joined in the last column; rows in file order."""
    language = (job.options or {}).get("language", "en")
    headers = list(job.mapping.get("headers", []))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(UTF8_BOM)
    writer.writerow([*headers, ERROR_HEADERS[language]])
    current: tuple[int, list[str], list[str]] | None = None
    last = (0, 0)
    while True:
        errors = (
            await ImportRowError.filter(
                job_id=job.id, organization_id=job.organization_id, row__gte=last[0]
            )
            .exclude(row=last[0], id__lte=last[1])
            .order_by("row", "id")
            .limit(BATCH_SIZE)
        )
        if not errors:
            break
        for error in errors:
            if current is None or current[0] != error.row:
                if current is not None:
                    _write(writer, headers, current)
                current = (error.row, list(error.cells or []), [])
            label = f"{error.column}: " if error.column else ""
            current[2].append(label + error.message)
        last = (errors[-1].row, errors[-1].id)
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    if current is not None:
        _write(writer, headers, current)
    yield buffer.getvalue().encode()


def _write(writer, headers: list[str], row: tuple[int, list[str], list[str]]) -> None:
    cells = (row[1] + [""] * len(headers))[: len(headers)]
    writer.writerow([neutralize(cell) for cell in cells] + [neutralize(" | ".join(row[2]))])
