"""What an import is asked to do, and the marks it leaves on what it writes."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from gql_crm.services.clients import CLIENT_FIELDS

VERB_CREATED = "imported"
VERB_UPDATED = "updated_by_import"
# An entry of the client whose row changed its company; it holds the company's old values.
VERB_COMPANY_UPDATED = "company_updated_by_import"
# The client fields an update may change, restored from the activity entry on roll-back.
UPDATABLE = (*CLIENT_FIELDS, "company_id")


class ImportMode(StrEnum):
    CREATE_ONLY = "CREATE_ONLY"
    SKIP_EXISTING = "SKIP_EXISTING"
    UPDATE_EXISTING = "UPDATE_EXISTING"


class MatchOn(StrEnum):
    EMAIL = "EMAIL"
    TAX_ID = "TAX_ID"


@dataclass(frozen=True)
class ImportOptions:
    dry_run: bool = False
    mode: ImportMode = ImportMode.SKIP_EXISTING
    match_on: tuple[MatchOn, ...] = (MatchOn.EMAIL,)
    # Column header -> field key (None ignores the column); overrides the automatic mapping.
    mapping: dict[str, str | None] | None = None
    default_country: str | None = None
    sheet: str | None = None
    skip_invalid_rows: bool = True
    language: str = "en"

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "mode": self.mode.value,
            "match_on": [m.value for m in self.match_on],
            "mapping": self.mapping,
            "default_country": self.default_country,
            "sheet": self.sheet,
            "skip_invalid_rows": self.skip_invalid_rows,
            "language": self.language,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ImportOptions":
        return cls(
            dry_run=data["dry_run"],
            mode=ImportMode(data["mode"]),
            match_on=tuple(MatchOn(m) for m in data["match_on"]),
            mapping=data["mapping"],
            default_country=data["default_country"],
            sheet=data["sheet"],
            skip_invalid_rows=data["skip_invalid_rows"],
            language=data["language"],
        )
