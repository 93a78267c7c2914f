from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from gql_crm import models
from gql_crm.api import docs
from gql_crm.api.accounts import User
from gql_crm.api.core.loaders import load_client, load_node
from gql_crm.api.core.money import Money
from gql_crm.api.core.nested import NestedConnection, nested_order
from gql_crm.api.core.relay import ModelNode, OrderDirection, counted_connection
from gql_crm.api.docs import After, Before, First, Last
from gql_crm.api.errors import UserError
from gql_crm.services import profile, projects, summary

if TYPE_CHECKING:
    from gql_crm.api.clients.types import Client

# A field named `date` hides the type inside its class.
Day = date

ClientRef = Annotated["Client", strawberry.lazy("gql_crm.api.clients.types")]

ProjectStatus = docs.described(
    strawberry.enum(models.ProjectStatus, description="Where a project stands."),
    {
        "PLANNED": "Not started.",
        "ACTIVE": "Under way.",
        "ON_HOLD": "Paused.",
        "COMPLETED": "Finished.",
        "CANCELED": "Abandoned.",
    },
)
TaskStatus = docs.described(
    strawberry.enum(models.TaskStatus, description="Where a task stands."),
    {
        "TODO": "Not started.",
        "IN_PROGRESS": "Being worked on.",
        "DONE": "Finished.",
    },
)
TaskPriority = docs.described(
    strawberry.enum(models.TaskPriority, description="How pressing a task is."),
    {
        "LOW": "Can wait.",
        "NORMAL": "The default.",
        "HIGH": "Before the NORMAL ones.",
        "URGENT": "Before everything else.",
    },
)
TaskDue = docs.described(
    strawberry.enum(
        profile.TaskDue,
        description="OVERDUE: due before today; PENDING: due today or later, or undated; "
        f"UPCOMING: due from today to {summary.UPCOMING_DAYS} days ahead. Never DONE tasks.",
    ),
    {
        "OVERDUE": "Due before today.",
        "PENDING": "Due today or later, or with no due date.",
        "UPCOMING": f"Due from today to today + {summary.UPCOMING_DAYS} days.",
    },
)
TaskStatuses = Annotated[
    list[TaskStatus] | None, strawberry.argument(description="Only tasks in one of these statuses.")
]
TaskDueArgument = Annotated[
    TaskDue | None,
    strawberry.argument(description="Only tasks not DONE, by due date (the summary's task cards)."),
]


@strawberry.enum(description="What a list of projects can be sorted by.")
class ProjectOrderField(Enum):
    CREATED_AT = strawberry.enum_value("CREATED_AT", description="When it was created.")
    UPDATED_AT = strawberry.enum_value("UPDATED_AT", description="When it last changed.")
    NAME = strawberry.enum_value("NAME", description="Its name.")


@strawberry.input(
    description="The order of a list of projects. Ties are broken by the id, so pages are stable."
)
class ProjectOrder:
    field: ProjectOrderField = strawberry.field(description="What to sort by.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.DESC, description=docs.DIRECTION
    )


@strawberry.enum(description="What a list of tasks can be sorted by.")
class TaskOrderField(Enum):
    CREATED_AT = strawberry.enum_value("CREATED_AT", description="When it was created.")
    UPDATED_AT = strawberry.enum_value("UPDATED_AT", description="When it last changed.")
    TITLE = strawberry.enum_value("TITLE", description="Its title.")
    PRIORITY = strawberry.enum_value(
        "PRIORITY", description="Its priority: DESC gives URGENT, HIGH, NORMAL, then LOW."
    )


@strawberry.input(
    description="The order of a list of tasks. Ties are broken by the id, so pages are stable."
)
class TaskOrder:
    field: TaskOrderField = strawberry.field(description="What to sort by.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.DESC, description=docs.DIRECTION
    )


@strawberry.type(description="Hours someone worked on a project, or one of its tasks, on a day.")
class TimeLog(ModelNode):
    _model = models.TimeLog

    id: relay.NodeID[int]
    date: Day = strawberry.field(description="The day worked.")
    hours: Decimal = strawberry.field(description="More than 0, at most 24, two decimals.")
    note: str = strawberry.field(description="Free text; empty when none was given.")
    created_at: datetime = strawberry.field(description=docs.CREATED_AT)
    row: strawberry.Private[models.TimeLog]

    @classmethod
    def from_model(cls, row: models.TimeLog) -> "TimeLog":
        return cls(
            id=row.id,
            date=row.date,
            hours=row.hours,
            note=row.note,
            created_at=row.created_at,
            row=row,
        )

    @strawberry.field(description="The project worked on.")
    async def project(self, info: Info) -> "Project | None":
        return await load_node(info, Project, self.row.project_id)

    @strawberry.field(description="The task worked on; null for the project as a whole.")
    async def task(self, info: Info) -> "Task | None":
        return await load_node(info, Task, self.row.task_id)

    @strawberry.field(description="Who logged the hours.")
    async def user(self, info: Info) -> User | None:
        return await load_node(info, User, self.row.user_id)


TimeLogConnection = counted_connection(TimeLog, "Hours logged, newest day first.")


@strawberry.type(description="A piece of work of a project.")
class Task(ModelNode):
    _model = models.Task

    id: relay.NodeID[int]
    title: str = strawberry.field(description="What is to be done.")
    description: str = strawberry.field(description="Details; empty when none were given.")
    status: TaskStatus = strawberry.field(description="Where the task stands.")
    priority: TaskPriority = strawberry.field(description="How pressing it is; NORMAL unless set.")
    due_date: date | None = strawberry.field(description="When it is due; null: undated.")
    created_at: datetime = strawberry.field(description=docs.CREATED_AT)
    updated_at: datetime = strawberry.field(description=docs.UPDATED_AT)
    row: strawberry.Private[models.Task]

    @classmethod
    def from_model(cls, row: models.Task) -> "Task":
        return cls(
            id=row.id,
            title=row.title,
            description=row.description,
            status=row.status,
            priority=row.priority,
            due_date=row.due_date,
            created_at=row.created_at,
            updated_at=row.updated_at,
            row=row,
        )

    @strawberry.field(description="Not done and due before today (organization's time zone).")
    def is_overdue(self, info: Info) -> bool:
        return (
            self.status != models.TaskStatus.DONE
            and self.due_date is not None
            and self.due_date < info.context.today
        )

    @strawberry.field(description="The client of its project.")
    async def client(self, info: Info) -> ClientRef | None:
        return await load_client(info, self.row.client_id)

    @strawberry.field(description="The project it belongs to.")
    async def project(self, info: Info) -> "Project | None":
        return await load_node(info, Project, self.row.project_id)

    @strawberry.field(description="Who is to do it; null when unassigned.")
    async def assignee(self, info: Info) -> User | None:
        return await load_node(info, User, self.row.assignee_id)


TaskConnection = counted_connection(Task, "A page of tasks.")


def task_filters(status: list[TaskStatus] | None, due: TaskDue | None) -> profile.NestedFilter:
    return profile.NestedFilter(
        task_statuses=None if status is None else tuple(status),
        task_due=due,
    )


@strawberry.type(description="Hours one user logged on a project.")
class UserHours:
    user: User | None = strawberry.field(description="Who logged them; null once deleted.")
    hours: Decimal = strawberry.field(description="Their sum, exact.")

    @classmethod
    async def of(cls, info: Info, entries: list[tuple[int | None, Decimal]]) -> list["UserHours"]:
        """(user id, hours) pairs with their users, loaded with every other of the request."""
        users = await info.context.loaders.by_id(models.User).load_many(
            [user_id or 0 for user_id, _ in entries]
        )
        return [
            cls(user=User.from_model(user) if user else None, hours=hours)
            for user, (_, hours) in zip(users, entries, strict=True)
        ]


def _project_figure(info: Info, compute, project_id: int):
    """A figure of `project_id`, computed with every other project of the request at once."""
    return info.context.loaders.figures(("project", compute.__name__), compute).load(project_id)


@strawberry.type(description="Work done for a client, with its tasks and the hours logged.")
class Project(ModelNode):
    _model = models.Project

    id: relay.NodeID[int]
    name: str = strawberry.field(description="The project's name.")
    status: ProjectStatus = strawberry.field(description="Where the project stands.")
    start_date: date | None = strawberry.field(description="When it starts; null if unknown.")
    deadline: date | None = strawberry.field(description="When it is due; null if none.")
    budget: Money | None = strawberry.field(description="What it may cost; null if not set.")
    hourly_rate: Money | None = strawberry.field(
        description="What an hour logged on it costs, in its currency; null if not set."
    )
    created_at: datetime = strawberry.field(description=docs.CREATED_AT)
    updated_at: datetime = strawberry.field(description=docs.UPDATED_AT)
    row: strawberry.Private[models.Project]

    @classmethod
    def from_model(cls, row: models.Project) -> "Project":
        return cls(
            id=row.id,
            name=row.name,
            status=row.status,
            start_date=row.start_date,
            deadline=row.deadline,
            budget=Money(amount=row.budget, currency=row.currency)
            if row.budget is not None
            else None,
            hourly_rate=Money(amount=row.hourly_rate, currency=row.currency)
            if row.hourly_rate is not None
            else None,
            created_at=row.created_at,
            updated_at=row.updated_at,
            row=row,
        )

    @strawberry.field(description=docs.CLIENT)
    async def client(self, info: Info) -> ClientRef | None:
        return await load_client(info, self.row.client_id)

    @strawberry.field(description="Every hour logged on the project, by anyone.")
    async def hours_logged(self, info: Info) -> Decimal:
        return await _project_figure(info, projects.hours_per_project, self.row.id)

    @strawberry.field(
        description="hoursLogged times hourlyRate, rounded half-up to the cent, in the project's "
        "currency; null without an hourly rate."
    )
    async def budget_used(self, info: Info) -> Money | None:
        used = projects.budget_used(await self.hours_logged(info), self.row.hourly_rate)
        return None if used is None else Money(amount=used, currency=self.row.currency)

    @strawberry.field(
        description="budget minus budgetUsed, negative when over budget; null without a "
        "budget or an hourly rate."
    )
    async def budget_remaining(self, info: Info) -> Money | None:
        used = await self.budget_used(info)
        if used is None or self.row.budget is None:
            return None
        return Money(amount=self.row.budget - used.amount, currency=self.row.currency)

    @strawberry.field(
        description="The hours logged on the project by each user, most hours first (then by "
        "user); a user since deleted reads as a null user."
    )
    async def hours_by_user(self, info: Info) -> list[UserHours]:
        entries = await _project_figure(info, projects.hours_per_user, self.row.id)
        return await UserHours.of(info, entries)

    @strawberry.field(description="The project's tasks, newest first unless orderBy says.")
    async def tasks(
        self,
        info: Info,
        status: TaskStatuses = None,
        due: TaskDueArgument = None,
        order_by: Annotated[
            TaskOrder | None, strawberry.argument(description=docs.NEWEST_FIRST)
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> TaskConnection:
        return await PROJECT_TASKS.page(
            info,
            self.row.id,
            task_filters(status, due),
            nested_order(order_by),
            first,
            after,
            last,
            before,
        )

    @strawberry.field(description="Hours logged on the project, newest day first.")
    async def time_logs(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> TimeLogConnection:
        return await PROJECT_TIME_LOGS.page(
            info,
            self.row.id,
            profile.NestedFilter(),
            (profile.NestedOrderField.DATE, True),
            first,
            after,
            last,
            before,
        )


ProjectConnection = counted_connection(Project, "A page of projects.")


@strawberry.type(description="The answer of a mutation on a project.")
class ProjectPayload:
    project: Project | None = strawberry.field(
        description="The project as it is now; null on errors."
    )
    errors: list[UserError] = strawberry.field(description=docs.ERRORS)


@strawberry.type(description="The answer of a mutation on a task.")
class TaskPayload:
    task: Task | None = strawberry.field(description="The task as it is now; null on errors.")
    errors: list[UserError] = strawberry.field(description=docs.ERRORS)


@strawberry.type(description="The answer of logTime.")
class TimeLogPayload:
    time_log: TimeLog | None = strawberry.field(description="The hours logged; null on errors.")
    errors: list[UserError] = strawberry.field(description=docs.ERRORS)


# The lists under a project (the resolvers above read them when called).
PROJECT_TASKS = NestedConnection(
    profile.NestedList.TASKS, TaskConnection, Task.from_model, "project_id"
)
PROJECT_TIME_LOGS = NestedConnection(
    profile.NestedList.TIME_LOGS, TimeLogConnection, TimeLog.from_model, "project_id"
)
