from datetime import date
from decimal import Decimal

import strawberry
from strawberry import relay

from gql_crm.api.projects.types import Day, ProjectStatus, TaskPriority, TaskStatus


@strawberry.input(description="A new project.")
class CreateProjectInput:
    client_id: relay.GlobalID = strawberry.field(description="The Client's global ID.")
    name: str = strawberry.field(description="Required.")
    status: ProjectStatus = strawberry.field(
        default=ProjectStatus.PLANNED, description="Where it starts."
    )
    start_date: date | None = strawberry.field(default=None, description="When it starts.")
    deadline: date | None = strawberry.field(default=None, description="Not before startDate.")
    budget: Decimal | None = strawberry.field(
        default=None, description="What it may cost: 0 or more, two decimals."
    )
    hourly_rate: Decimal | None = strawberry.field(
        default=None,
        description="What an hour logged on it costs: 0 or more, two decimals, in its currency.",
    )
    currency: str | None = strawberry.field(
        default=None, description="ISO 4217; the organization's currency if omitted."
    )


@strawberry.input(description="A partial update: omitted fields are left as they are.")
class UpdateProjectInput:
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="Cannot be null or blank."
    )
    status: ProjectStatus | None = strawberry.field(
        default=strawberry.UNSET, description="Any status to any other."
    )
    start_date: date | None = strawberry.field(
        default=strawberry.UNSET, description="When it starts."
    )
    deadline: date | None = strawberry.field(
        default=strawberry.UNSET, description="Not before startDate."
    )
    budget: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description="0 or more, two decimals."
    )
    hourly_rate: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description="0 or more, two decimals; null: none."
    )
    currency: str | None = strawberry.field(
        default=strawberry.UNSET, description="ISO 4217, of the budget."
    )


@strawberry.input(description="A new task of a project.")
class CreateTaskInput:
    project_id: relay.GlobalID = strawberry.field(description="The Project's global ID.")
    title: str = strawberry.field(description="Required.")
    description: str | None = strawberry.field(default=None, description="Details.")
    due_date: date | None = strawberry.field(default=None, description="When it is due.")
    status: TaskStatus = strawberry.field(default=TaskStatus.TODO, description="Where it starts.")
    priority: TaskPriority = strawberry.field(
        default=TaskPriority.NORMAL, description="How pressing it is."
    )
    assignee_id: relay.GlobalID | None = strawberry.field(
        default=None, description="A User's global ID."
    )


@strawberry.input(description="A partial update: omitted fields are left as they are.")
class UpdateTaskInput:
    title: str | None = strawberry.field(
        default=strawberry.UNSET, description="Cannot be null or blank."
    )
    description: str | None = strawberry.field(default=strawberry.UNSET, description="Details.")
    due_date: date | None = strawberry.field(
        default=strawberry.UNSET, description="When it is due; null: undated."
    )
    assignee_id: relay.GlobalID | None = strawberry.field(
        default=strawberry.UNSET, description="A User's global ID; null unassigns it."
    )
    priority: TaskPriority | None = strawberry.field(
        default=strawberry.UNSET, description="How pressing it is; null: NORMAL."
    )


@strawberry.input(description="Hours worked on a project, or one of its tasks, on a day.")
class LogTimeInput:
    project_id: relay.GlobalID = strawberry.field(description="The Project's global ID.")
    task_id: relay.GlobalID | None = strawberry.field(
        default=None, description="A task of the same project."
    )
    date: Day = strawberry.field(description="The day worked.")
    hours: Decimal = strawberry.field(description="More than 0, at most 24, two decimals.")
    note: str | None = strawberry.field(default=None, description="Free text.")
