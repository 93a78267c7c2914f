import strawberry
from strawberry.types import Info

from gql_crm.api import docs
from gql_crm.api.core.relay import input_to_data, record_id
from gql_crm.api.errors import MutationPayload
from gql_crm.api.projects.inputs import (
    CreateProjectInput,
    CreateTaskInput,
    LogTimeInput,
    UpdateProjectInput,
    UpdateTaskInput,
)
from gql_crm.api.projects.types import (
    Project,
    ProjectPayload,
    Task,
    TaskPayload,
    TaskStatus,
    TimeLog,
    TimeLogPayload,
)
from gql_crm.models import TaskStatus as StoredTaskStatus
from gql_crm.services import projects

ID_TYPES = {
    "client_id": "Client",
    "project_id": "Project",
    "task_id": "Task",
    "assignee_id": "User",
}


PROJECT_PAYLOAD = MutationPayload(ProjectPayload, "project", Project.from_model)
TIME_LOG_PAYLOAD = MutationPayload(TimeLogPayload, "time_log", TimeLog.from_model)
TASK_PAYLOAD = MutationPayload(TaskPayload, "task", Task.from_model)


@strawberry.type
class ProjectMutations:
    @strawberry.mutation(description="A new project of a client. Needs MEMBER.")
    async def create_project(
        self,
        info: Info,
        input: docs.argument(CreateProjectInput, docs.CREATE),
    ) -> ProjectPayload:
        data = input_to_data(input, ID_TYPES)
        return await PROJECT_PAYLOAD.run(
            info, lambda: projects.create_project(info.context.actor, data.pop("client_id"), data)
        )

    @strawberry.mutation(description="A partial update; needs MEMBER.")
    async def update_project(
        self,
        info: Info,
        id: docs.record_id("Project"),
        input: docs.argument(UpdateProjectInput, docs.UPDATE),
    ) -> ProjectPayload:
        data = input_to_data(input, ID_TYPES)
        return await PROJECT_PAYLOAD.run(
            info,
            lambda: projects.update_project(info.context.actor, record_id(id, "Project"), data),
        )

    @strawberry.mutation(
        description="Hours worked on a project (or one of its tasks) on a day. Needs MEMBER."
    )
    async def log_time(
        self,
        info: Info,
        input: docs.argument(LogTimeInput, docs.RECORD),
    ) -> TimeLogPayload:
        data = input_to_data(input, ID_TYPES)
        return await TIME_LOG_PAYLOAD.run(info, lambda: projects.log_time(info.context.actor, data))

    @strawberry.mutation(description="A new task of a project. Needs MEMBER.")
    async def create_task(
        self,
        info: Info,
        input: docs.argument(CreateTaskInput, docs.CREATE),
    ) -> TaskPayload:
        data = input_to_data(input, ID_TYPES)
        return await TASK_PAYLOAD.run(
            info, lambda: projects.create_task(info.context.actor, data.pop("project_id"), data)
        )

    @strawberry.mutation(description="A partial update; needs MEMBER.")
    async def update_task(
        self,
        info: Info,
        id: docs.record_id("Task"),
        input: docs.argument(UpdateTaskInput, docs.UPDATE),
    ) -> TaskPayload:
        data = input_to_data(input, ID_TYPES)
        return await TASK_PAYLOAD.run(
            info, lambda: projects.update_task(info.context.actor, record_id(id, "Task"), data)
        )

    @strawberry.mutation(description="TODO, IN_PROGRESS or DONE. Needs MEMBER.")
    async def set_task_status(
        self,
        info: Info,
        id: docs.record_id("Task"),
        status: docs.argument(TaskStatus, "The new status."),
    ) -> TaskPayload:
        return await TASK_PAYLOAD.run(
            info,
            lambda: projects.set_task_status(
                info.context.actor, record_id(id, "Task"), StoredTaskStatus(status.value)
            ),
        )
