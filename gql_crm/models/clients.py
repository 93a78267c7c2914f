from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index

from gql_crm.models.base import OrgScoped

if TYPE_CHECKING:
    from gql_crm.models.imports import ImportJob


class ClientStatus(StrEnum):
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"


class Gender(StrEnum):
    FEMALE = "FEMALE"
    MALE = "MALE"
    OTHER = "OTHER"
    UNDISCLOSED = "UNDISCLOSED"


class ClientCategory(OrgScoped):
    name = fields.CharField(max_length=100)
    name_key = fields.CharField(max_length=100, description="casefolded, accent-free name")

    class Meta:
        unique_together = (("organization", "name_key"),)


class Company(OrgScoped):
    name = fields.CharField(max_length=200)
    name_key = fields.CharField(max_length=200, description="casefolded, accent-free name")
    legal_name = fields.CharField(max_length=200, null=True)
    tax_id = fields.CharField(max_length=32, null=True, description="compact form")
    website = fields.CharField(max_length=500, null=True)
    office_phone = fields.CharField(max_length=20, null=True, description="E.164")
    street = fields.CharField(max_length=300, null=True)
    city = fields.CharField(max_length=100, null=True)
    state = fields.CharField(max_length=100, null=True)
    postal_code = fields.CharField(max_length=20, null=True)
    country = fields.CharField(max_length=2, null=True)
    # The import that created the company: rolling a dead import back removes it again.
    import_job: fields.ForeignKeyNullableRelation["ImportJob"] = fields.ForeignKeyField(
        "models.ImportJob", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    import_job_id: int | None
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        indexes = (
            # The key first, the organization second: see `unique_together` on Client.
            Index(fields=("tax_id", "organization_id")),
            Index(fields=("name_key", "organization_id")),
            # An import reads back the ids of what it inserted, and rolls back by job.
            Index(fields=("import_job_id", "id")),
        )


class Client(OrgScoped):
    name = fields.CharField(max_length=200)
    # Sorting by this key orders "álvaro" next to "Alvaro" on SQLite and PostgreSQL alike.
    name_key = fields.CharField(max_length=200, description="casefolded, accent-free name")
    email = fields.CharField(max_length=254, null=True)
    # Set to the casefolded email while the client is active, NULL once archived: the unique
    # index below then enforces "one active client per email" on every database.
    active_email_key = fields.CharField(max_length=254, null=True)
    mobile = fields.CharField(max_length=20, null=True, description="E.164")
    country = fields.CharField(max_length=2, null=True)
    gender = fields.CharEnumField(Gender, max_length=16, null=True)
    language = fields.CharField(max_length=2, null=True)
    category: fields.ForeignKeyNullableRelation["ClientCategory"] = fields.ForeignKeyField(
        "models.ClientCategory", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    category_id: int | None
    company: fields.ForeignKeyNullableRelation["Company"] = fields.ForeignKeyField(
        "models.Company", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    company_id: int | None
    status = fields.CharEnumField(ClientStatus, max_length=16, default=ClientStatus.ACTIVE)
    # Lower-cased, accent-free concatenation of every searchable value (own and company's),
    # so the search bar is one indexed-friendly LIKE on SQLite and PostgreSQL alike.
    search_text = fields.TextField(default="")
    # The import that created the client: rolling a dead import back removes it again.
    import_job: fields.ForeignKeyNullableRelation["ImportJob"] = fields.ForeignKeyField(
        "models.ImportJob", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    import_job_id: int | None
    # Set on a client merged into another and archived (mergeClients): the duplicates list
    # leaves it out, it cannot be merged again, and erasing the kept client erases it too.
    merged_into: fields.ForeignKeyNullableRelation["Client"] = fields.ForeignKeyField(
        "models.Client", related_name=False, null=True, on_delete=fields.SET_NULL, db_index=True
    )
    merged_into_id: int | None
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        # The email key first: an import finds a batch's emails by probing this index once per
        # key (imports/writer.select_in), which PostgreSQL cannot then mistake for a walk of
        # the organization through one of the indexes below when its statistics are stale.
        unique_together = (("active_email_key", "organization"),)
        indexes = (
            Index(fields=("organization_id", "status", "created_at")),
            Index(fields=("organization_id", "status", "name_key")),
            Index(fields=("organization_id", "status", "updated_at")),
            Index(fields=("organization_id", "country")),
            Index(fields=("organization_id", "category_id")),
            Index(fields=("organization_id", "company_id")),
            Index(fields=("import_job_id", "id")),
            # Deleting a company or a client (an import's roll-back or undo, an erasure)
            # sets these to NULL: without an index each deleted row scans the clients.
            Index(fields=("company_id",)),
            Index(fields=("merged_into_id",)),
        )
