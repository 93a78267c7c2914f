from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from gql_crm import models
from gql_crm.api.accounts import User
from gql_crm.api.errors import UserError
from gql_crm.api.profile.tabs import (
    Money,
    tab_connection,
    tab_order,
)
from gql_crm.api.relay import ModelNode, OrderDirection, counted_connection
from gql_crm.services import profile, summary

if TYPE_CHECKING:
    from gql_crm.api.clients.types import Client

ClientRef = Annotated["Client", strawberry.lazy("gql_crm.api.clients.types")]

ProjectStatus = strawberry.enum(models.ProjectStatus)
TaskStatus = strawberry.enum(models.TaskStatus)
TaskDue = strawberry.enum(
    profile.TaskDue,
    description="OVERDUE: due before today; PENDING: due today or later, or undated; "
    f"UPCOMING: due from today to {summary.UPCOMING_DAYS} days ahead. Never DONE tasks.",
)


async def load_client(info: Info, client_id: int):
    from gql_crm.api.clients.types import Client

    row = await info.context.loaders.by_id(models.Client).load(client_id)
    return Client.from_model(row) if row else None


@strawberry.enum
class ProjectOrderField(Enum):
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"
    NAME = "NAME"


@strawberry.input(description="Ties are broken by the id, so pages are stable.")
class ProjectOrder:
    field: ProjectOrderField
    direction: OrderDirection = OrderDirection.DESC


@strawberry.enum
class TaskOrderField(Enum):
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"
    TITLE = "TITLE"


@strawberry.input(description="Ties are broken by the id, so pages are stable.")
class TaskOrder:
    field: TaskOrderField
    direction: OrderDirection = OrderDirection.DESC


@strawberry.type
class TimeLog(ModelNode):
    _model = models.TimeLog

    id: relay.NodeID[int]
    date: date
    hours: Decimal
    note: str
    created_at: datetime
    row: strawberry.Private[models.TimeLog]

    @classmethod
    def from_model(cls, row: models.TimeLog) -> "TimeLog":
        return cls(id=row.id, date=row.date, hours=row.hours, note=row.note,
                   created_at=row.created_at, row=row)

    @strawberry.field
    async def project(self, info: Info) -> "Project | None":
        found = await info.context.loaders.by_id(models.Project).load(self.row.project_id)
        return Project.from_model(found) if found else None

    @strawberry.field
    async def task(self, info: Info) -> "Task | None":
        if self.row.task_id is None:
            return None
        found = await info.context.loaders.by_id(models.Task).load(self.row.task_id)
        return Task.from_model(found) if found else None

    @strawberry.field(description="Who logged the hours.")
    async def user(self, info: Info) -> User | None:
        if self.row.user_id is None:
            return None
        found = await info.context.loaders.by_id(models.User).load(self.row.user_id)
        return User.from_model(found) if found else None


TimeLogConnection = counted_connection(TimeLog, "Hours logged, newest day first.")


@strawberry.type
class Task(ModelNode):
    _model = models.Task

    id: relay.NodeID[int]
    title: str
    description: str
    status: TaskStatus
    due_date: date | None
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[models.Task]

    @classmethod
    def from_model(cls, row: models.Task) -> "Task":
        return cls(id=row.id, title=row.title, description=row.description, status=row.status,
                   due_date=row.due_date, created_at=row.created_at,
                   updated_at=row.updated_at, row=row)

    @strawberry.field(description="Not done and due before today (organization's time zone).")
    def is_overdue(self, info: Info) -> bool:
        return (self.status != models.TaskStatus.DONE and self.due_date is not None
                and self.due_date < info.context.today)

    @strawberry.field
    async def client(self, info: Info) -> ClientRef | None:
        return await load_client(info, self.row.client_id)

    @strawberry.field
    async def project(self, info: Info) -> "Project | None":
        found = await info.context.loaders.by_id(models.Project).load(self.row.project_id)
        return Project.from_model(found) if found else None

    @strawberry.field
    async def assignee(self, info: Info) -> User | None:
        if self.row.assignee_id is None:
            return None
        found = await info.context.loaders.by_id(models.User).load(self.row.assignee_id)
        return User.from_model(found) if found else None


TaskConnection = counted_connection(Task, "A page of tasks.")


def task_filters(status: list[TaskStatus] | None, due: TaskDue | None) -> profile.TabFilter:
    return profile.TabFilter(
        task_statuses=None if status is None else tuple(models.TaskStatus(s.value) for s in status),
        task_due=profile.TaskDue(due.value) if due else None,
    )


@strawberry.type
class Project(ModelNode):
    _model = models.Project

    id: relay.NodeID[int]
    name: str
    status: ProjectStatus
    start_date: date | None
    deadline: date | None
    budget: Money | None
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[models.Project]

    @classmethod
    def from_model(cls, row: models.Project) -> "Project":
        return cls(
            id=row.id, name=row.name, status=row.status, start_date=row.start_date,
            deadline=row.deadline,
            budget=Money(amount=row.budget, currency=row.currency)
            if row.budget is not None else None,
            created_at=row.created_at, updated_at=row.updated_at, row=row,
        )

    @strawberry.field
    async def client(self, info: Info) -> ClientRef | None:
        return await load_client(info, self.row.client_id)

    @strawberry.field(description="The project's tasks, newest first unless orderBy says.")
    async def tasks(
        self, info: Info, status: list[TaskStatus] | None = None, due: TaskDue | None = None,
        order_by: TaskOrder | None = None, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> TaskConnection:
        return await tab_connection(
            info, TaskConnection, Task.from_model, profile.Tab.TASKS, self.row.id,
            task_filters(status, due), tab_order(order_by), first, after, last, before,
            parent="project_id",
        )

    @strawberry.field(description="Hours logged on the project, newest day first.")
    async def time_logs(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> TimeLogConnection:
        return await tab_connection(
            info, TimeLogConnection, TimeLog.from_model, profile.Tab.TIME_LOGS, self.row.id,
            profile.TabFilter(), (profile.TabOrderField.DATE, True), first, after, last, before,
            parent="project_id",
        )


ProjectConnection = counted_connection(Project, "A page of projects.")


@strawberry.type
class ProjectPayload:
    project: Project | None
    errors: list[UserError]


@strawberry.type
class TaskPayload:
    task: Task | None
    errors: list[UserError]


@strawberry.type
class TimeLogPayload:
    time_log: TimeLog | None
    errors: list[UserError]
