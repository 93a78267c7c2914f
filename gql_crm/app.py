"""The ASGI application: GraphQL (with GraphiQL), health check, downloads (gql_crm.http.downloads),
middleware, ORM lifespan."""

import asyncio
from contextlib import asynccontextmanager
from dataclasses import replace

import orjson
from cross_web import HTTPException as StrawberryHTTPException
from graphql import ExecutionResult
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.execution import ExecutionResult as StrawberryExecutionResult
from strawberry.types.graphql import OperationType
from tortoise import connections
from tortoise.contrib.starlette import RegisterTortoise

from gql_crm.api.context import Context
from gql_crm.api.errors import RequestErrorCode
from gql_crm.api.planned import Planner, Spliced
from gql_crm.api.schema import build_schema
from gql_crm.config import Settings
from gql_crm.db import tortoise_config
from gql_crm.http import frontend_middleware
from gql_crm.http.csrf import RequirePreflightHeader
from gql_crm.http.downloads import download_routes
from gql_crm.http.errors import http_exception_handler, unexpected_error
from gql_crm.http.graphiql import graphiql_assets, render_page
from gql_crm.http.graphql_view import GraphQLOverHTTP, StrawberryView
from gql_crm.http.limits import ACTOR_SCOPE_KEY, RequestLimits, bearer_token
from gql_crm.http.request_id import RequestIDMiddleware, request_id_of
from gql_crm.services import client_counts, queue
from gql_crm.services.auth import Actor, authenticate, token_cache
from gql_crm.services.errors import RETRY_AFTER_SECONDS
from gql_crm.services.imports import jobs as import_jobs
from gql_crm.services.imports import progress as import_progress
from gql_crm.services.messages import pick_language
from gql_crm.services.persisted_queries import PersistedQueries
from gql_crm.services.storage import serving_jobs, storage_for
from gql_crm.websockets import LegacyWSHandler, TransportWSHandler


class PlannedResult(ExecutionResult):
    """A response the database wrote (the planned path): its body passes through."""

    __slots__ = ("body",)

    def __init__(self, body: bytes):
        super().__init__(None)
        self.body = body


class SplicedResult(ExecutionResult):
    """The planned root fields' answers and the executor's result for the others."""

    __slots__ = ("rest", "spliced")

    def __init__(self, spliced: Spliced, rest: StrawberryExecutionResult):
        super().__init__(None)
        self.spliced = spliced
        self.rest = rest


class PassThroughResponses(StrawberryView):
    """Mixed into the view below GraphQLOverHTTP: a body the database wrote passes through
    as it is, any other is encoded by orjson."""

    async def process_result(self, request, result):
        if isinstance(result, PlannedResult):
            return result
        if isinstance(result, SplicedResult):
            return result.spliced.merge(await super().process_result(request, result.rest))
        return await super().process_result(request, result)

    def encode_json(self, data) -> str:
        # Text, as the websocket transports send it.
        return orjson.dumps(data).decode()

    def create_response(self, response_data, sub_response) -> Response:
        response = Response(
            _body(response_data),
            status_code=sub_response.status_code or 200,
            media_type="application/json",
        )
        response.headers.raw.extend(sub_response.headers.raw)
        if sub_response.background:
            response.background = sub_response.background
        return response


def _body(response_data) -> bytes:
    if isinstance(response_data, PlannedResult):
        return response_data.body
    if isinstance(response_data, list):
        return b"[" + b",".join(_body(item) for item in response_data) + b"]"
    return orjson.dumps(response_data)


class GraphQLApp(GraphQLOverHTTP, PassThroughResponses, GraphQL[Context, None]):
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    def __init__(self, settings: Settings):
        super().__init__(
            build_schema(settings),
            graphql_ide="graphiql",
            multipart_uploads_enabled=True,
            # Subscriptions from the browser apps CORS lets in.
            allowed_origins=list(settings.cors_origins),
        )
        self.settings = settings
        self.persisted_queries = PersistedQueries(
            settings.persisted_queries_cache_size, settings.max_persisted_queries
        )
        self.planner = Planner(self.schema, settings) if settings.fast_path else None

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            # Strawberry's own refusals are answered inside run (gql_crm.http.graphql_view).
            response = await self.run(request)
        except HTTPException:
            raise  # Starlette's own (a malformed multipart body): its handler answers
        except ClientDisconnect:
            raise  # the body was cut off or abandoned: RequestLimits logs it in one line
        except Exception as exc:
            response = unexpected_error(request, exc)
        await response(scope, receive, send)

    def decode_json(self, data: str | bytes) -> object:
        try:
            return super().decode_json(data)
        except RecursionError as exc:
            raise StrawberryHTTPException(400, "JSON nested too deeply") from exc

    async def parse_http_body(self, request):
        try:
            return await super().parse_http_body(request)
        except AttributeError as exc:
            # strawberry reads the body (or a batch's item) with .get(): null, "x", 1, ...
            raise StrawberryHTTPException(400, "the body must be a JSON object") from exc

    async def parse_multipart(self, request):
        try:
            return await super().parse_multipart(request)
        except (LookupError, TypeError, ValueError, AttributeError) as exc:
            # The map points at a place `operations` does not have (e.g. operations=[]).
            raise StrawberryHTTPException(
                400, "the multipart map does not match the operations"
            ) from exc

    def create_response(self, response_data, sub_response) -> Response:
        response = super().create_response(response_data, sub_response)
        if _database_was_busy(response_data):
            # A retryable failure of the whole request, which HTTP clients and proxies
            # know how to retry.
            response.status_code = 503
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    async def render_graphql_ide(self, request: Request) -> Response:
        return render_page(request)

    async def execute_document(self, request_data, context, root_value, allowed_operation_types):
        if self.planner is not None and OperationType.QUERY in allowed_operation_types:
            planned = await self.planner.respond(
                context, request_data.query, request_data.variables, request_data.operation_name
            )
            if isinstance(planned, Spliced):
                rest = await super().execute_document(
                    replace(request_data, query=planned.executor_query),
                    context,
                    root_value,
                    allowed_operation_types,
                )
                return SplicedResult(planned, rest)
            if planned is not None:
                return PlannedResult(planned)
        return await super().execute_document(
            request_data, context, root_value, allowed_operation_types
        )

    async def get_context(self, request, response) -> Context:
        return Context(
            request=request,
            settings=self.settings,
            actor=await _actor(request),
            language=pick_language(request.headers.get("accept-language")),
            request_id=request_id_of(request),
        )

    async def on_ws_connect(self, context: Context):
        """Subscriptions authenticate with the connection_init payload
        ({"Authorization": "Bearer <token>"}), since browsers cannot set websocket headers;
        a connection without a valid token is closed (4403) before any operation."""
        params = {str(k).lower(): v for k, v in (context.connection_params or {}).items()}
        token = bearer_token(params)
        actor = await authenticate(token) if token else None
        if actor is None:
            # The handshake's own Authorization header, where a client can send one.
            token, actor = bearer_token(context.request.headers), context.actor
        if actor is None:
            raise ConnectionRejectionError()
        context.sign_in(actor, token)
        return None


def _database_was_busy(response_data) -> bool:
    results = response_data if isinstance(response_data, list) else [response_data]
    return any(
        (error.get("extensions") or {}).get("code") == RequestErrorCode.DATABASE_BUSY
        for result in results
        if not isinstance(result, PlannedResult)
        for error in (result.get("errors") or [])
    )


async def _actor(request: Request) -> Actor | None:
    """The caller RequestLimits authenticated from the headers (a request with a body), or
    the one the token names."""
    if ACTOR_SCOPE_KEY in request.scope:
        return request.scope[ACTOR_SCOPE_KEY]
    return await authenticate(bearer_token(request.headers))


async def healthz(request: Request) -> JSONResponse:
    """Liveness: the process answers and reaches its database."""
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception as exc:
        return JSONResponse({"status": "unavailable", "error": str(exc)}, status_code=503)
    return JSONResponse({"status": "ok"})


def readyz_route(settings: Settings) -> Route:
    async def readyz(request: Request) -> JSONResponse:
        """Readiness: the database and the file storage both answer now; a load balancer
        sends requests only to a process that says so."""
        checks = {}
        for name, check in (
            ("database", connections.get("default").execute_query("SELECT 1")),
            ("storage", storage_for(settings).check()),
        ):
            try:
                await check
                checks[name] = "ok"
            except Exception as exc:
                checks[name] = f"unavailable: {exc}"
        ready = all(value == "ok" for value in checks.values())
        return JSONResponse(
            {"status": "ok" if ready else "unavailable", "checks": checks},
            status_code=200 if ready else 503,
        )

    return Route("/readyz", readyz)


def create_app(settings: Settings | None = None, *, init_orm: bool = True) -> Starlette:
    """The app; `init_orm=False` leaves the ORM to the caller (tests bring their own)."""
    settings = settings or Settings.from_env()
    # A storage setting that names nothing fails here, at start-up, not at the first upload.
    storage_for(settings)
    token_cache.configure(settings.token_cache_ttl, settings.token_cache_size)
    graphql = GraphQLApp(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette):
        if not init_orm:
            yield
            return
        # The global fallback makes the ORM visible to requests, which uvicorn serves in
        # tasks other than the one running this lifespan.
        async with (
            RegisterTortoise(app, config=tortoise_config(settings.database_url)),
            serving_jobs(settings),
            job_services(settings),
            # In-process imports a dead process left running are rolled back before
            # serving anyone, and looked for again while serving.
            import_jobs.recovery(),
            client_counts.compaction(),
        ):
            try:
                yield
            finally:
                await storage_for(settings).close()

    return Starlette(
        routes=[
            # Every method reaches the view, which refuses the others in GraphQL JSON.
            Route("/graphql", graphql),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            readyz_route(settings),
            graphiql_assets(),
            *download_routes(settings),
        ],
        middleware=[
            Middleware(RequestIDMiddleware),
            *frontend_middleware(settings),
            Middleware(RequestLimits, settings=settings),
            Middleware(RequirePreflightHeader),
        ],
        exception_handlers={HTTPException: http_exception_handler},
        lifespan=lifespan,
    )


@asynccontextmanager
async def job_services(settings: Settings):
    """On PostgreSQL: jobs go to the queue engine, job events of every process reach this
    one's subscribers, and (unless `embedded_worker` is off) this process runs a worker,
    which hands its jobs back to the queue when the server stops."""
    if not queue.is_postgres(settings.database_url):
        yield
        return
    async with (
        queue.using_pg_queue(settings.database_url),
        import_progress.listening(settings.database_url),
    ):
        if not settings.embedded_worker:
            yield
            return
        stop = asyncio.Event()
        worker = asyncio.create_task(
            queue.run_worker_restarting(
                settings.database_url, **settings.worker_options(), shutdown=stop
            ),
            name="queue-worker",
        )
        try:
            yield
        finally:
            stop.set()
            await worker


def app_from_env() -> Starlette:
    """uvicorn factory (`gql_crm.app:app_from_env`), configured by GQL_CRM_* variables."""
    return create_app()
