import strawberry
from strawberry import relay
from strawberry.file_uploads import Upload
from strawberry.types import Info

from gql_crm.api import docs
from gql_crm.api.clients.types import CLIENT_PAYLOAD, ClientID, ClientPayload
from gql_crm.api.core.relay import record_id
from gql_crm.api.errors import MutationPayload
from gql_crm.api.files.types import DeleteFilePayload, File, FilePayload
from gql_crm.services.files import attachments, photos

FILE_PAYLOAD = MutationPayload(FilePayload, "file", File.from_model)
DELETE_FILE_PAYLOAD = MutationPayload(
    DeleteFilePayload, "deleted_id", lambda row: relay.GlobalID("File", str(row.id))
)


@strawberry.type
class FileMutations:
    @strawberry.mutation(
        description="Attaches a file to a client's files tab (PDF, images, office documents, "
        "plain text; at most GQL_CRM_MAX_UPLOAD_BYTES). Needs MEMBER."
    )
    async def attach_client_file(
        self,
        info: Info,
        client_id: ClientID,
        file: docs.argument(Upload, "The file, as a part of a multipart request."),
        description: docs.argument(str | None, "What the file is.") = None,
    ) -> FilePayload:
        context = info.context
        return await FILE_PAYLOAD.run(
            info,
            lambda: attachments.attach_file(
                context.actor,
                context.settings,
                record_id(client_id, "Client", "client_id"),
                file,
                description,
            ),
        )

    @strawberry.mutation(description="Deletes an attached file. Needs MEMBER.")
    async def delete_file(self, info: Info, id: docs.record_id("File")) -> DeleteFilePayload:
        context = info.context
        return await DELETE_FILE_PAYLOAD.run(
            info,
            lambda: attachments.delete_file(context.actor, context.settings, record_id(id, "File")),
        )

    @strawberry.mutation(
        description="Sets a client's photo: a JPEG, PNG, GIF or WebP image, stored without "
        "its metadata, with a square thumbnail. Needs MEMBER."
    )
    async def set_client_photo(
        self,
        info: Info,
        client_id: ClientID,
        file: docs.argument(Upload, "The image, as a part of a multipart request."),
    ) -> ClientPayload:
        context = info.context
        return await CLIENT_PAYLOAD.run(
            info,
            lambda: photos.set_photo(
                context.actor, context.settings, record_id(client_id, "Client", "client_id"), file
            ),
        )

    @strawberry.mutation(description="Removes a client's photo. Needs MEMBER.")
    async def remove_client_photo(self, info: Info, client_id: ClientID) -> ClientPayload:
        context = info.context
        return await CLIENT_PAYLOAD.run(
            info,
            lambda: photos.remove_photo(
                context.actor, context.settings, record_id(client_id, "Client", "client_id")
            ),
        )
