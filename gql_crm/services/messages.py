"""The one catalog of user-facing messages, in English and Spanish.

Codes never change with the language; only the text does.
"""

from string import Formatter

SUPPORTED_LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"

CATALOG: dict[str, dict[str, str]] = {
    "REQUIRED": {"en": "This field is required.", "es": "Este campo es obligatorio."},
    "TOO_LONG": {
        "en": "At most {max_length} characters.",
        "es": "Como máximo {max_length} caracteres.",
    },
    "INVALID": {"en": "This value is not valid.", "es": "Este valor no es válido."},
    "INVALID_CHARACTERS": {
        "en": "Contains control characters.",
        "es": "Contiene caracteres de control.",
    },
    "INVALID_EMAIL": {
        "en": "Not a valid email address{reason}.",
        "es": "La dirección de correo no es válida{reason}.",
    },
    "INVALID_PHONE": {
        "en": "Not a valid phone number for {region}.",
        "es": "No es un número de teléfono válido para {region}.",
    },
    "INVALID_COUNTRY": {
        "en": "Unknown country; use an ISO 3166-1 code such as ES.",
        "es": "País desconocido; use un código ISO 3166-1 como ES.",
    },
    "INVALID_TAX_ID": {
        "en": "Not a valid tax ID for {country}.",
        "es": "No es un número de identificación fiscal válido para {country}.",
    },
    "INVALID_URL": {"en": "Not a valid web address.", "es": "No es una dirección web válida."},
    "INVALID_LANGUAGE": {
        "en": "Unknown language; use an ISO 639-1 code such as es.",
        "es": "Idioma desconocido; use un código ISO 639-1 como es.",
    },
    "INVALID_CHOICE": {
        "en": "Must be one of: {choices}.",
        "es": "Debe ser uno de: {choices}.",
    },
    "INVALID_DATE": {"en": "Not a valid date.", "es": "No es una fecha válida."},
    "INVALID_AMOUNT": {"en": "Not a valid amount.", "es": "No es un importe válido."},
    "INVALID_CURRENCY": {
        "en": "Unknown currency; use an ISO 4217 code such as EUR.",
        "es": "Moneda desconocida; use un código ISO 4217 como EUR.",
    },
    "INVALID_STATE": {
        "en": "Not possible while the record is {state}.",
        "es": "No es posible mientras el registro está en estado {state}.",
    },
    "DUPLICATE": {
        "en": "Another record already uses this value.",
        "es": "Otro registro ya usa este valor.",
    },
    "NOT_FOUND": {"en": "Not found.", "es": "No encontrado."},
    "FILE_TOO_LARGE": {
        "en": "The file is larger than {max_bytes} bytes.",
        "es": "El archivo supera los {max_bytes} bytes.",
    },
    "UNSUPPORTED_FILE": {
        "en": "Unsupported file: {reason}.",
        "es": "Archivo no admitido: {reason}.",
    },
    "IMAGE_TOO_LARGE": {
        "en": "The image has more than {max_pixels} pixels.",
        "es": "La imagen tiene más de {max_pixels} píxeles.",
    },
    "DAMAGED_IMAGE": {
        "en": "The image is damaged (truncated or corrupted); export it again.",
        "es": "La imagen está dañada (cortada o corrupta); vuelva a exportarla.",
    },
    "TOO_MANY_ROWS": {
        "en": "The file has more than {max_rows} rows.",
        "es": "El archivo tiene más de {max_rows} filas.",
    },
    "EXCEEDS_AMOUNT_DUE": {
        "en": "More than the {amount_due} still due.",
        "es": "Supera los {amount_due} pendientes de pago.",
    },
    "MISSING_COLUMN": {
        "en": "No column of the file is {column}.",
        "es": "Ninguna columna del archivo es {column}.",
    },
    "DUPLICATE_IN_FILE": {
        "en": "Row {row} of the file already has this value.",
        "es": "La fila {row} del archivo ya tiene este valor.",
    },
    "AMBIGUOUS_MATCH": {
        "en": "Several clients match this value; use another column to match on.",
        "es": "Varios clientes coinciden con este valor; use otra columna para buscarlos.",
    },
    "PARTLY_PAID": {
        "en": "The invoice has {amount_paid} paid: issue a credit for the payments before "
        "canceling it.",
        "es": "La factura tiene {amount_paid} cobrados: emita un abono por los pagos antes de "
        "anularla.",
    },
    "ALREADY_EXPIRED": {
        "en": "This date has passed: the quote would be expired from the start.",
        "es": "Esta fecha ya pasó: el presupuesto nacería caducado.",
    },
    # Why undoing an import left something as it is (ImportUndoIssue.message).
    "UNDO_RECORDS_ADDED": {
        "en": "Records were added to this client after the import: it is kept.",
        "es": "Se añadieron registros a este cliente después de la importación: se conserva.",
    },
    "UNDO_CHANGED_SINCE": {
        "en": "Changed after the import: the current value is kept.",
        "es": "Se modificó después de la importación: se conserva el valor actual.",
    },
    "UNDO_EMAIL_TAKEN": {
        "en": "The previous email belongs to another active client now: the current one is kept.",
        "es": "El correo anterior pertenece ahora a otro cliente activo: se conserva el actual.",
    },
    "UNDO_LINK_GONE": {
        "en": "The previous company or category no longer exists: the current one is kept.",
        "es": "La empresa o categoría anterior ya no existe: se conserva la actual.",
    },
    "UNDO_COMPANY_IN_USE": {
        "en": "A client that stays still uses this company: it is kept.",
        "es": "Un cliente que se conserva sigue usando esta empresa: se conserva.",
    },
    "SAME_CLIENT": {
        "en": "A client cannot be merged into itself.",
        "es": "Un cliente no puede fusionarse consigo mismo.",
    },
    "CONFIRMATION_MISMATCH": {
        "en": "Type the client's name exactly as it is to confirm.",
        "es": "Escriba el nombre del cliente exactamente como está para confirmar.",
    },
    # Reasons: phrases inside the messages above, in the same language.
    "EMAIL_GENERIC": {"en": "", "es": ""},
    "EMAIL_AT_SIGN": {"en": ": it needs exactly one @", "es": ": debe tener exactamente una @"},
    "EMAIL_LOCAL_PART": {
        "en": ": the part before the @ is not valid",
        "es": ": la parte anterior a la @ no es válida",
    },
    "EMAIL_DOMAIN": {
        "en": ": the part after the @ is not a valid domain",
        "es": ": la parte posterior a la @ no es un dominio válido",
    },
    "EMAIL_TOO_LONG": {"en": ": it is too long", "es": ": es demasiado larga"},
    "FILE_UNKNOWN_TYPE": {"en": "an unknown type", "es": "un tipo desconocido"},
    "FILE_BINARY": {"en": "binary data, not text", "es": "datos binarios, no texto"},
    "FILE_XLS": {
        "en": "an old Excel (.xls) workbook; save it as .xlsx or .csv",
        "es": "un libro de Excel antiguo (.xls); guárdelo como .xlsx o .csv",
    },
    "FILE_DAMAGED_ZIP": {"en": "a damaged ZIP archive", "es": "un archivo ZIP dañado"},
    "FILE_ZIP_NOT_XLSX": {
        "en": "a ZIP archive that is not an XLSX workbook",
        "es": "un archivo ZIP que no es un libro XLSX",
    },
    "FILE_XLSX_TOO_LARGE": {
        "en": "the workbook inflates beyond {max_bytes} bytes",
        "es": "el libro descomprimido supera los {max_bytes} bytes",
    },
    "FILE_UNREADABLE_XLSX": {"en": "an unreadable workbook", "es": "un libro ilegible"},
    # Why an import job failed (ImportJob.failureReason).
    "IMPORT_INVALID_ROWS": {
        "en": "{count} rows are invalid and skipInvalidRows is false: nothing was imported.",
        "es": "{count} filas no son válidas y skipInvalidRows es false: no se importó nada.",
    },
    "IMPORT_INTERRUPTED": {
        "en": "The server stopped during the import; nothing of it was kept. Upload the "
        "file again.",
        "es": "El servidor se detuvo durante la importación; no se conservó nada. Vuelva a "
        "subir el archivo.",
    },
    "IMPORT_ROLL_BACK_PENDING": {
        "en": "The import was interrupted and undoing it failed; the server tries again shortly.",
        "es": "La importación se interrumpió y deshacerla falló; el servidor lo vuelve a "
        "intentar en breve.",
    },
    "IMPORT_UNEXPECTED": {
        "en": "Unexpected error during the import; nothing of it was kept.",
        "es": "Error inesperado durante la importación; no se conservó nada.",
    },
    # Request-level errors (GraphQL errors, not payload errors).
    "UNAUTHENTICATED": {
        "en": "A valid API token is required: send 'Authorization: Bearer <token>'.",
        "es": "Se necesita un token válido: envíe 'Authorization: Bearer <token>'.",
    },
    "FORBIDDEN": {
        "en": "Your role ({role}) cannot do this; it needs {required}.",
        "es": "Su rol ({role}) no permite esta acción; requiere {required}.",
    },
    "REQUEST_TOO_LARGE": {
        "en": "The request body is larger than {max_bytes} bytes.",
        "es": "El cuerpo de la petición supera los {max_bytes} bytes.",
    },
    "ANONYMOUS_REQUEST_TOO_LARGE": {
        "en": "Without a valid API token a request body may have at most {max_bytes} bytes: "
        "send 'Authorization: Bearer <token>'.",
        "es": "Sin un token válido el cuerpo de la petición puede tener como máximo "
        "{max_bytes} bytes: envíe 'Authorization: Bearer <token>'.",
    },
    "REQUEST_TIMEOUT": {
        "en": "The request body arrived too slowly; the connection was closed.",
        "es": "El cuerpo de la petición llegó demasiado despacio; se cerró la conexión.",
    },
    "QUERY_TOO_COSTLY": {
        "en": "This query may return {cost} objects; the limit is {max_cost}. Ask for smaller "
        "pages (first/last) or fewer nested lists, or split it into several requests.",
        "es": "Esta consulta puede devolver {cost} objetos; el límite es {max_cost}. Pida "
        "páginas más pequeñas (first/last) o menos listas anidadas, o divídala en varias "
        "peticiones.",
    },
    "PAGE_SIZE_EXCEEDED": {
        "en": "Ask for at most {max} items per page.",
        "es": "Pida como máximo {max} elementos por página.",
    },
    "NEGATIVE_PAGE_SIZE": {
        "en": "{argument} cannot be negative.",
        "es": "{argument} no puede ser negativo.",
    },
    "INVALID_PAGINATION": {
        "en": "Use first/after or last/before, not both.",
        "es": "Use first/after o last/before, no ambos.",
    },
    "INVALID_CURSOR": {
        "en": "The cursor is not valid for this list and order.",
        "es": "El cursor no es válido para esta lista y este orden.",
    },
    # HTTP-level refusals, before any GraphQL runs.
    "BAD_REQUEST": {
        "en": "Not a valid GraphQL request: {reason}",
        "es": "No es una petición GraphQL válida: {reason}",
    },
    "METHOD_NOT_ALLOWED": {
        "en": "Use GET or POST.",
        "es": "Use GET o POST.",
    },
    "DOWNLOAD_UNAUTHENTICATED": {
        "en": "A valid API token or signed link is required.",
        "es": "Se necesita un token válido o un enlace firmado.",
    },
    "CORS_PREFLIGHT_REFUSED": {
        "en": "Cross-origin request refused: the origin, method or headers are not allowed.",
        "es": "Petición entre orígenes rechazada: el origen, el método o las cabeceras no "
        "están permitidos.",
    },
    "QUERY_REQUIRED": {
        "en": "The request has no GraphQL query.",
        "es": "La petición no tiene ninguna consulta GraphQL.",
    },
    "UNKNOWN_OPERATION": {
        "en": "The document has no operation named {operation}.",
        "es": "El documento no tiene ninguna operación llamada {operation}.",
    },
    "OPERATION_NAME_REQUIRED": {
        "en": "The document has several operations: name one in operationName.",
        "es": "El documento tiene varias operaciones: indique una en operationName.",
    },
    "MUTATION_OVER_GET": {
        "en": "Mutations must be sent with POST.",
        "es": "Las mutaciones deben enviarse con POST.",
    },
    "SUBSCRIPTION_OVER_HTTP": {
        "en": "Subscriptions run over a websocket on /graphql (graphql-transport-ws), not over "
        "HTTP.",
        "es": "Las suscripciones funcionan sobre un websocket en /graphql "
        "(graphql-transport-ws), no sobre HTTP.",
    },
    "BATCHING_DISABLED": {
        "en": "Batched requests (a JSON array) are not enabled: send one operation per request.",
        "es": "Las peticiones en lote (una lista JSON) no están habilitadas: envíe una operación "
        "por petición.",
    },
    "TOO_MANY_OPERATIONS": {
        "en": "At most {max} operations per batch.",
        "es": "Como máximo {max} operaciones por lote.",
    },
    # Apollo's and urql's persisted-query links recognise this exact text: never translated.
    "PERSISTED_QUERY_NOT_FOUND": {
        "en": "PersistedQueryNotFound",
        "es": "PersistedQueryNotFound",
    },
    "PERSISTED_QUERY_HASH_MISMATCH": {
        "en": "The query's SHA-256 hash is not extensions.persistedQuery.sha256Hash.",
        "es": "El hash SHA-256 de la consulta no es extensions.persistedQuery.sha256Hash.",
    },
    "INVALID_PERSISTED_QUERY": {
        "en": "extensions.persistedQuery needs version 1 and a sha256Hash of 64 hexadecimal "
        "digits.",
        "es": "extensions.persistedQuery necesita version 1 y un sha256Hash de 64 dígitos "
        "hexadecimales.",
    },
    "DATABASE_BUSY": {
        "en": "The database is busy with another write; nothing was changed by the part "
        "that failed. Try again in {seconds} s.",
        "es": "La base de datos está ocupada con otra escritura; la parte que falló no "
        "cambió nada. Vuelva a intentarlo en {seconds} s.",
    },
    "CSRF_PREFLIGHT_REQUIRED": {
        "en": "Multipart requests need the header 'GraphQL-Require-Preflight: 1' (CSRF "
        "protection).",
        "es": "Las peticiones multipart necesitan la cabecera 'GraphQL-Require-Preflight: 1' "
        "(protección CSRF).",
    },
    "DATABASE_UNAVAILABLE": {
        "en": "The database cannot be reached right now; try again shortly.",
        "es": "No se puede acceder a la base de datos en este momento; inténtelo de nuevo "
        "en breve.",
    },
    "INTERNAL_SERVER_ERROR": {
        "en": "Unexpected error. Quote request ID {request_id} when reporting it.",
        "es": "Error inesperado. Indique el ID de petición {request_id} al comunicarlo.",
    },
}


class Phrase(str):
    """A parameter that is itself a catalog key, rendered in the message's language (so a
    Spanish message never embeds English text)."""


class _Lenient(Formatter):
    """Leaves a missing parameter visible instead of failing to render the message."""

    def get_value(self, key, args, kwargs):
        return kwargs.get(key, "{" + str(key) + "}")


_formatter = _Lenient()


def message(code: str, language: str = DEFAULT_LANGUAGE, **params) -> str:
    texts = CATALOG[code]
    plain = {key: value for key, value in params.items() if not isinstance(value, Phrase)}
    rendered = {
        key: message(value, language, **plain) if isinstance(value, Phrase) else value
        for key, value in params.items()
    }
    return _formatter.format(texts.get(language) or texts[DEFAULT_LANGUAGE], **rendered)


def quality_values(header: str | None) -> list[tuple[str, float]]:
    """The (lower-cased value, q) pairs of an Accept-style header, in the header's order; a
    malformed q weighs 0 (not acceptable)."""
    pairs = []
    for part in (header or "").split(","):
        value, *params = (piece.strip() for piece in part.split(";"))
        q = 1.0
        for param in params:
            name, _, weight = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(weight)
                except ValueError:
                    q = 0.0
        pairs.append((value.lower(), q))
    return pairs


def pick_language(accept_language: str | None) -> str:
    """The supported language the caller prefers most, from an Accept-Language header."""
    ranked = []
    for position, (tag, q) in enumerate(quality_values(accept_language)):
        primary = tag.split("-")[0]
        if primary in SUPPORTED_LANGUAGES and q > 0:
            # The header's order breaks ties between equal weights.
            ranked.append((q, -position, primary))
    return max(ranked)[2] if ranked else DEFAULT_LANGUAGE
