"""A client's files tab and profile photo.

Nothing the uploader says about a file is trusted: the content type comes from the bytes
(`sniffing`), the name is only kept (sanitized) for the download, and photos are decoded
and re-encoded (`photos`). `uploads` holds what attachments and photos share (reading an
upload within the size limit, releasing blobs no file uses); `downloads` signs and checks
download URLs. The bytes themselves live in `gql_crm.services.storage`.
"""
