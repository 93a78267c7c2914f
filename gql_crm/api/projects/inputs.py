from datetime import date
from decimal import Decimal

import strawberry
from strawberry import relay

from gql_crm.api.projects.types import ProjectStatus, TaskStatus


@strawberry.input
class CreateProjectInput:
    client_id: relay.GlobalID
    name: str
    status: ProjectStatus = ProjectStatus.PLANNED
    start_date: date | None = None
    deadline: date | None = strawberry.field(default=None, description="Not before startDate.")
    budget: Decimal | None = None
    currency: str | None = strawberry.field(
        default=None, description="ISO 4217; the organization's currency if omitted."
    )


@strawberry.input(description="A partial update: omitted fields are left as they are.")
class UpdateProjectInput:
    name: str | None = strawberry.UNSET
    status: ProjectStatus | None = strawberry.UNSET
    start_date: date | None = strawberry.UNSET
    deadline: date | None = strawberry.UNSET
    budget: Decimal | None = strawberry.UNSET
    currency: str | None = strawberry.UNSET


@strawberry.input
class CreateTaskInput:
    project_id: relay.GlobalID
    title: str
    description: str | None = None
    due_date: date | None = None
    status: TaskStatus = TaskStatus.TODO
    assignee_id: relay.GlobalID | None = None


@strawberry.input(description="A partial update: omitted fields are left as they are.")
class UpdateTaskInput:
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    due_date: date | None = strawberry.UNSET
    assignee_id: relay.GlobalID | None = strawberry.UNSET


@strawberry.input
class LogTimeInput:
    project_id: relay.GlobalID
    task_id: relay.GlobalID | None = strawberry.field(
        default=None, description="A task of the same project."
    )
    date: date
    hours: Decimal = strawberry.field(description="More than 0, at most 24, two decimals.")
    note: str | None = None
