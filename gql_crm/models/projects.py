from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index

from gql_crm.models.base import ClientRecord, money_field

if TYPE_CHECKING:
    from gql_crm.models.accounts import User
    from gql_crm.models.clients import Client


class ProjectStatus(StrEnum):
    PLANNED = "PLANNED"
    ACTIVE = "ACTIVE"
    ON_HOLD = "ON_HOLD"
    COMPLETED = "COMPLETED"
    CANCELED = "CANCELED"


class TaskStatus(StrEnum):
    TODO = "TODO"
    IN_PROGRESS = "IN_PROGRESS"
    DONE = "DONE"


class TaskPriority(IntEnum):
    """Stored as its number so that ordering by it is ordering by the column."""

    LOW = 1
    NORMAL = 2
    HIGH = 3
    URGENT = 4


class Project(ClientRecord):
    client: fields.ForeignKeyRelation["Client"] = fields.ForeignKeyField(
        "models.Client", related_name=False
    )
    client_id: int
    name = fields.CharField(max_length=200)
    status = fields.CharEnumField(ProjectStatus, max_length=16, default=ProjectStatus.PLANNED)
    start_date = fields.DateField(null=True)
    deadline = fields.DateField(null=True)
    budget = money_field(null=True)
    # What an hour logged on it costs, in its currency: hours x rate is the budget used.
    hourly_rate = fields.DecimalField(max_digits=18, decimal_places=2, null=True)
    currency = fields.CharField(max_length=3, default="EUR")
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        indexes = (Index(fields=("client_id", "status")),)


class Task(ClientRecord):
    project: fields.ForeignKeyRelation["Project"] = fields.ForeignKeyField(
        "models.Project", related_name=False
    )
    project_id: int
    # Denormalized from the project so per-client task figures need no join.
    client: fields.ForeignKeyRelation["Client"] = fields.ForeignKeyField(
        "models.Client", related_name=False
    )
    client_id: int
    title = fields.CharField(max_length=300)
    description = fields.TextField(default="")
    status = fields.CharEnumField(TaskStatus, max_length=16, default=TaskStatus.TODO)
    priority = fields.IntEnumField(TaskPriority, default=TaskPriority.NORMAL)
    due_date = fields.DateField(null=True)
    assignee: fields.ForeignKeyNullableRelation["User"] = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    assignee_id: int | None
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        # A project's tasks are listed (Project.tasks) and deleted with it by project.
        indexes = (Index(fields=("client_id", "status", "due_date")), Index(fields=("project_id",)))


class TimeLog(ClientRecord):
    project: fields.ForeignKeyRelation["Project"] = fields.ForeignKeyField(
        "models.Project", related_name=False
    )
    project_id: int
    client: fields.ForeignKeyRelation["Client"] = fields.ForeignKeyField(
        "models.Client", related_name=False
    )
    client_id: int
    task: fields.ForeignKeyNullableRelation["Task"] = fields.ForeignKeyField(
        "models.Task", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    task_id: int | None
    user: fields.ForeignKeyNullableRelation["User"] = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    user_id: int | None
    date = fields.DateField()
    hours = fields.DecimalField(max_digits=8, decimal_places=2)
    note = fields.TextField(default="")

    class Meta:
        indexes = (
            Index(fields=("client_id",)),
            Index(fields=("project_id",)),
            Index(fields=("task_id",)),
        )
