"""Projects, their tasks and the hours logged on them."""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tortoise.queryset import QuerySet

from gql_crm.models import (
    Project,
    ProjectStatus,
    Role,
    Task,
    TaskPriority,
    TaskStatus,
    TimeLog,
    User,
)
from gql_crm.services import activity
from gql_crm.services.auth import Actor
from gql_crm.services.errors import ErrorCode
from gql_crm.services.records import (
    CENT,
    bounded_decimal,
    check_reference,
    create_recorded,
    date_order,
    lock_row,
    of_clients,
    optional_money_amount,
    require_client,
    require_row,
    transition,
    update_recorded,
    write_transaction,
)
from gql_crm.services.summary import exact_sums, summed
from gql_crm.services.validation import (
    FieldInvalid,
    Validator,
    normalize_choice,
    normalize_currency,
    optional_text,
    required_text,
)

PROJECT_FIELDS = (
    "name",
    "status",
    "start_date",
    "deadline",
    "budget",
    "hourly_rate",
    "currency",
)
TASK_FIELDS = ("title", "description", "due_date", "assignee_id", "status", "priority")
MAX_HOURS_PER_ENTRY = 24


def _clean_project(data: dict[str, Any], current: Project | None) -> dict[str, Any]:
    checks = Validator()
    values: dict[str, Any] = {}
    if current is None or "name" in data:
        values["name"] = checks.check("name", required_text, data.get("name"), 200)
    if "status" in data:
        values["status"] = (
            checks.check("status", normalize_choice, data["status"], ProjectStatus)
            or ProjectStatus.PLANNED
        )
    for key in ("start_date", "deadline"):
        if key in data:
            values[key] = data[key]
    for key in ("budget", "hourly_rate"):
        if key in data:
            values[key] = checks.check(key, optional_money_amount, data[key])
    if data.get("currency") is not None:
        values["currency"] = checks.check("currency", normalize_currency, data["currency"])
    start = values.get("start_date", current.start_date if current else None)
    deadline = values.get("deadline", current.deadline if current else None)
    if not date_order(start, deadline):
        checks.add(ErrorCode.INVALID_DATE, "deadline")
    checks.raise_if_errors()
    return values


async def create_project(actor: Actor, client_id: int, data: dict[str, Any]) -> Project:
    actor.require(Role.MEMBER)
    client = await require_client(actor, client_id)
    values = _clean_project(data, None)
    values.setdefault("currency", actor.organization.default_currency)
    return await create_recorded(actor, Project, values, client_id=client.id)


async def update_project(actor: Actor, project_id: int, data: dict[str, Any]) -> Project:
    actor.require(Role.MEMBER)
    async with write_transaction():
        project = await lock_row(Project, actor, project_id)
        values = _clean_project(data, project)
        await update_recorded(actor, project, values, PROJECT_FIELDS)
    return project


async def _clean_task(actor: Actor, data: dict[str, Any], current: Task | None) -> dict[str, Any]:
    checks = Validator()
    values: dict[str, Any] = {}
    if current is None or "title" in data:
        values["title"] = checks.check("title", required_text, data.get("title"), 300)
    if "description" in data:
        values["description"] = (
            checks.check("description", optional_text, data["description"], 10_000) or ""
        )
    if "due_date" in data:
        values["due_date"] = data["due_date"]
    if "status" in data:
        values["status"] = (
            checks.check("status", normalize_choice, data["status"], TaskStatus) or TaskStatus.TODO
        )
    if "priority" in data:
        # The API hands the enum's number; null is the default.
        values["priority"] = TaskPriority(data["priority"] or TaskPriority.NORMAL)
    if "assignee_id" in data:
        await check_reference(checks, actor, User, data["assignee_id"], "assignee_id")
        values["assignee_id"] = data["assignee_id"]
    checks.raise_if_errors()
    return values


async def create_task(actor: Actor, project_id: int, data: dict[str, Any]) -> Task:
    actor.require(Role.MEMBER)
    project = await require_row(Project, actor, project_id, "project_id")
    values = await _clean_task(actor, data, None)
    return await create_recorded(
        actor, Task, values, project_id=project.id, client_id=project.client_id
    )


async def update_task(actor: Actor, task_id: int, data: dict[str, Any]) -> Task:
    actor.require(Role.MEMBER)
    async with write_transaction():
        task = await lock_row(Task, actor, task_id)
        values = await _clean_task(actor, data, task)
        await update_recorded(actor, task, values, TASK_FIELDS)
    return task


async def set_task_status(actor: Actor, task_id: int, status: TaskStatus) -> Task:
    actor.require(Role.MEMBER)
    others = tuple(s for s in TaskStatus if s != status)
    return await transition(actor, Task, task_id, "status", others, status, activity.Verb.UPDATED)


def _hours(value: Any):
    hours = bounded_decimal(value, max_digits=8, places=2, positive=True)
    if hours is not None and hours > MAX_HOURS_PER_ENTRY:
        raise FieldInvalid(ErrorCode.INVALID_AMOUNT)
    return hours


async def log_time(actor: Actor, data: dict[str, Any]) -> TimeLog:
    """Hours worked on a project (and optionally one of its tasks) on one day."""
    actor.require(Role.MEMBER)
    project = await require_row(Project, actor, data.get("project_id"), "project_id")
    checks = Validator()
    hours = checks.check("hours", _hours, data.get("hours"))
    note = checks.check("note", optional_text, data.get("note"), 2000) or ""
    task_id = data.get("task_id")
    await check_reference(checks, actor, Task, task_id, "task_id", project_id=project.id)
    checks.raise_if_errors()
    values = {"date": data["date"], "hours": hours, "note": note, "task_id": task_id}
    return await create_recorded(
        actor,
        TimeLog,
        values,
        project_id=project.id,
        client_id=project.client_id,
        user_id=actor.user_id,
    )


async def hours_per_project(org_id: int, project_ids: list[int]) -> dict[int, Decimal]:
    """Every hour logged on each project: one grouped, exact sum for the whole batch."""
    sums = exact_sums(TimeLog, hours_sum="hours")
    rows = await (
        TimeLog.filter(organization_id=org_id, project_id__in=project_ids)
        .annotate(**sums)
        .group_by("project_id")
        .values("project_id", *sums)
    )
    found = {row["project_id"]: summed(row, "hours_sum") for row in rows}
    return {project_id: found.get(project_id, Decimal("0.00")) for project_id in project_ids}


async def _hours_by_user(
    logs: QuerySet, parent: str, parent_ids: list[int]
) -> dict[int, list[tuple[int | None, Decimal]]]:
    sums = exact_sums(TimeLog, hours_sum="hours")
    rows = await logs.annotate(**sums).group_by(parent, "user_id").values(parent, "user_id", *sums)
    result: dict[int, list[tuple[int | None, Decimal]]] = {pid: [] for pid in parent_ids}
    for row in rows:
        result[row[parent]].append((row["user_id"], summed(row, "hours_sum")))
    for entries in result.values():
        entries.sort(key=lambda entry: (-entry[1], entry[0] is None, entry[0] or 0))
    return result


async def hours_per_user(
    org_id: int, project_ids: list[int]
) -> dict[int, list[tuple[int | None, Decimal]]]:
    """Each project's hours by the user who logged them (None: a user since deleted), most
    hours first, then by user id: one grouped query for the whole batch."""
    logs = TimeLog.filter(organization_id=org_id, project_id__in=project_ids)
    return await _hours_by_user(logs, "project_id", project_ids)


async def client_hours_per_user(
    org_id: int, client_ids: list[int]
) -> dict[int, list[tuple[int | None, Decimal]]]:
    """Like `hours_per_user`, over every project of each client."""
    return await _hours_by_user(of_clients(TimeLog, org_id, client_ids), "client_id", client_ids)


def budget_used(hours: Decimal, hourly_rate: Decimal | None) -> Decimal | None:
    """What the hours logged cost at the project's rate, half-up to the cent; None without a
    rate."""
    if hourly_rate is None:
        return None
    return (hours * hourly_rate).quantize(CENT, rounding=ROUND_HALF_UP)
