"""The `gql-crm` command."""

import argparse
import asyncio
import os
import sys

from starlette.datastructures import UploadFile

from gql_crm import db
from gql_crm.config import Settings
from gql_crm.models import Organization, Role
from gql_crm.services import auth
from gql_crm.services.errors import UserErrors


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(database_url=getattr(args, "db", None))


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from gql_crm.access_log import uvicorn_log_config

    settings = _settings(args)
    # Workers are separate processes: they read the configuration from the environment.
    os.environ["GQL_CRM_DATABASE_URL"] = settings.database_url
    if args.no_worker:
        os.environ["GQL_CRM_EMBEDDED_WORKER"] = "false"
    asyncio.run(db.migrate(settings.database_url))
    if args.demo:
        from gql_crm.services.demo import seed_demo

        async def seed() -> str:
            async with db.orm(settings.database_url):
                org, token = await seed_demo()
            print(f"demo organization: {org.name} ({org.slug})")
            return token

        print(f"token: {asyncio.run(seed())}", flush=True)
    print(f"GraphiQL: http://{args.host}:{args.port}/graphql", flush=True)
    uvicorn.run(
        "gql_crm.app:app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
        log_config=uvicorn_log_config(),
        # uvicorn has no deadline for request headers: this protocol adds one (and a size cap).
        http="gql_crm.http.protocol:GuardedHttpToolsProtocol",
        timeout_keep_alive=settings.keep_alive_timeout,
        # On SIGTERM: no new connections, open requests get this long to end.
        timeout_graceful_shutdown=settings.shutdown_timeout,
    )
    return 0


def worker(args: argparse.Namespace) -> int:
    import signal

    from gql_crm.services import queue

    # Each registers its job kinds.
    from gql_crm.services.imports import jobs, undo  # noqa: F401
    from gql_crm.services.storage import serving_jobs, storage_for

    settings = Settings.from_env(
        database_url=getattr(args, "db", None), worker_concurrency=args.concurrency
    )
    if not queue.is_postgres(settings.database_url):
        print("error: queue workers need PostgreSQL (SQLite runs jobs in `serve`)", file=sys.stderr)
        return 1

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            # The running jobs end their batch and go back to the queue.
            loop.add_signal_handler(signum, stop.set)
        async with (
            db.orm(settings.database_url),
            queue.using_pg_queue(settings.database_url),
            serving_jobs(settings),
        ):
            ready = asyncio.Event()
            worker = asyncio.create_task(
                queue.run_worker(
                    settings.database_url, **settings.worker_options(), shutdown=stop, ready=ready
                )
            )
            await ready.wait()
            print("worker ready", flush=True)
            try:
                await worker
            finally:
                await storage_for(settings).close()

    asyncio.run(run())
    return 0


async def _organization(slug: str) -> Organization | None:
    """The organization of `slug`; None, said on stderr, when there is none."""
    org = await Organization.get_or_none(slug=slug)
    if org is None:
        print(f"error: no organization with slug {slug!r}", file=sys.stderr)
    return org


def migrate(args: argparse.Namespace) -> int:
    asyncio.run(db.migrate(_settings(args).database_url))
    print("migrations applied")
    return 0


def create_org(args: argparse.Namespace) -> int:
    async def run() -> Organization:
        async with db.orm(_settings(args).database_url):
            org = await auth.create_organization(args.name, default_country=args.country)
            admin = await auth.get_or_create_user(org, args.admin_email, Role.ADMIN)
            token = await auth.issue_token(admin)
            print(f"organization: {org.name}\nslug: {org.slug}\nadmin: {admin.email}")
            print(token)
            return org

    asyncio.run(run())
    return 0


def create_token(args: argparse.Namespace) -> int:
    async def run() -> int:
        async with db.orm(_settings(args).database_url):
            org = await _organization(args.org)
            if org is None:
                return 1
            # .example is reserved for examples (RFC 2606) and, unlike .local, a valid domain.
            email = args.email or f"{args.role.lower()}@{org.slug}.example"
            user = await auth.get_or_create_user(org, email, Role(args.role))
            print(f"user: {user.email} ({user.role.value})")
            print(await auth.issue_token(user))
            return 0

    return asyncio.run(run())


def export_clients(args: argparse.Namespace) -> int:
    from gql_crm.models import ClientStatus
    from gql_crm.services import exports, spreadsheet
    from gql_crm.services.clients import ClientFilter

    request = exports.ExportRequest(
        format=exports.ExportFormat(args.format.upper()),
        search=args.search,
        filters=ClientFilter(status=None if args.include_archived else ClientStatus.ACTIVE),
        columns=tuple(args.columns.split(","))
        if args.columns
        else tuple(spreadsheet.COLUMNS_BY_KEY),
        language=args.language,
        delimiter=args.delimiter,
    )
    request.validate()

    async def run() -> int:
        async with db.orm(_settings(args).database_url):
            org = await _organization(args.org)
            if org is None:
                return 1
            with open(args.output, "wb") as out:
                async for chunk in exports.stream(org, request):
                    out.write(chunk)
            print(f"exported to {args.output}", file=sys.stderr)
            return 0

    return asyncio.run(run())


def _progress_bar(done: int, total: int, width: int = 30) -> str:
    filled = width * done // total if total else width
    return f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} rows"


def import_clients(args: argparse.Namespace) -> int:
    from gql_crm.models import ImportRowError
    from gql_crm.services.imports import jobs, progress
    from gql_crm.services.storage import serving_jobs, storage_for

    options = jobs.ImportOptions(
        dry_run=args.dry_run,
        mode=jobs.ImportMode(args.mode),
        match_on=tuple(jobs.MatchOn(m.strip().upper()) for m in args.match_on.split(",")),
        default_country=args.default_country,
        sheet=args.sheet,
        skip_invalid_rows=not args.all_or_nothing,
        language=args.language,
    )
    settings = _settings(args)
    if not os.path.isfile(args.file):
        print(f"error: no file {args.file!r}", file=sys.stderr)
        return 1

    async def run() -> int:
        # No queue here, on PostgreSQL either: the job runs in this process (the in-process
        # queue), owned by its host and pid, so it needs no worker and its progress bar and
        # exit code follow the run itself. A server recovers it if this process dies, and
        # its attempt fences this process out if it was only paused (README, Importing
        # clients).
        async with db.orm(settings.database_url), serving_jobs(settings):
            org = await _organization(args.org)
            if org is None:
                return 1
            # Offered to the import as an upload is, and read whole before it returns.
            with open(args.file, "rb") as source:
                upload = UploadFile(source, filename=os.path.basename(args.file))
                job = await jobs.start_import(auth.Actor.system(org), settings, upload, options)
            async with progress.listen(job.id) as changed:
                while (task := jobs.task_of(job.id)) is not None and not task.done():
                    await job.refresh_from_db()
                    print(
                        _progress_bar(job.processed_rows, job.total_rows),
                        end="",
                        file=sys.stderr,
                        flush=True,
                    )
                    changed.clear()
                    await asyncio.wait(
                        [task, asyncio.ensure_future(changed.wait())],
                        return_when=asyncio.FIRST_COMPLETED,
                    )
            await job.refresh_from_db()
            print(_progress_bar(job.processed_rows, job.total_rows), file=sys.stderr)
            print(f"{'dry run: ' if job.dry_run else ''}{job.status.value}")
            for _, header, key in job.mapping["columns"]:
                print(f"  column {header!r} -> {key}")
            for header in job.unknown_columns:
                print(f"  column {header!r} unknown, not imported")
            print(
                f"rows: {job.total_rows}  created: {job.created_count}  "
                f"updated: {job.updated_count}  skipped: {job.skipped_count}  "
                f"failed: {job.failed_count}"
            )
            if job.failure_reason:
                print(f"reason: {job.failure_reason}")
            last_id = 0
            # Errors are written in file order: paging on the id lists them in row order.
            while (
                errors := await ImportRowError.filter(job_id=job.id, id__gt=last_id)
                .order_by("id")
                .limit(1000)
            ):
                for error in errors:
                    column = f" {error.column}" if error.column else ""
                    value = f" ({error.value!r})" if error.value else ""
                    print(f"row {error.row}{column}: {error.code} {error.message}{value}")
                last_id = errors[-1].id
            return 0 if job.status.value == "SUCCEEDED" else 1

    async def run_and_close() -> int:
        try:
            return await run()
        finally:
            await storage_for(settings).close()

    return asyncio.run(run_and_close())


def export_schema(args: argparse.Namespace) -> int:
    from gql_crm.api.schema import export_sdl

    sys.stdout.write(export_sdl())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gql-crm", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, handler, help: str, *, db_option: bool = True):
        sub = commands.add_parser(name, help=help)
        sub.set_defaults(handler=handler)
        if db_option:
            sub.add_argument(
                "--db",
                help="database URL (default: $GQL_CRM_DATABASE_URL or sqlite://gql_crm.sqlite3)",
            )
        return sub

    sub = command("serve", serve, "run the server (applies migrations first)")
    sub.add_argument("--host", default="127.0.0.1")
    sub.add_argument("--port", type=int, default=8000)
    sub.add_argument("--workers", type=int, default=1)
    sub.add_argument(
        "--demo", action="store_true", help="seed a demo organization and print an admin token"
    )
    sub.add_argument(
        "--no-worker",
        action="store_true",
        help="PostgreSQL: run no job worker in the server (jobs go to `gql-crm worker`)",
    )

    sub = command("worker", worker, "run queue workers for import jobs (PostgreSQL)")
    sub.add_argument(
        "--concurrency",
        type=int,
        help="jobs run at once (default: $GQL_CRM_WORKER_CONCURRENCY or 1)",
    )

    command("migrate", migrate, "apply database migrations")

    sub = command("create-org", create_org, "create an organization and an admin token")
    sub.add_argument("name")
    sub.add_argument("--country", help="default country for phones and tax IDs, e.g. ES")
    sub.add_argument("--admin-email", default="admin@example.com")

    sub = command("create-token", create_token, "issue an API token for a user")
    sub.add_argument("--org", required=True, help="organization slug")
    sub.add_argument("--role", required=True, choices=[r.value for r in Role])
    sub.add_argument("--email", help="the user's email (created if new)")

    sub = command("export", export_clients, "export an organization's clients to a file")
    sub.add_argument("--org", required=True, help="organization slug")
    sub.add_argument("--format", default="csv", choices=["csv", "xlsx", "json"])
    sub.add_argument("--search", help="the clients list's search, e.g. 'garcia madrid'")
    sub.add_argument(
        "--language", default="en", choices=["en", "es"], help="language of the column headers"
    )
    sub.add_argument(
        "--delimiter", choices=[",", ";"], help="CSV delimiter (default: ',' for en, ';' for es)"
    )
    sub.add_argument("--columns", help="comma-separated column keys, e.g. name,email,mobile")
    sub.add_argument("--include-archived", action="store_true")
    sub.add_argument("-o", "--output", required=True, help="the file to write")

    sub = command(
        "import",
        import_clients,
        "import clients from a CSV or XLSX file, with a progress bar and report",
    )
    sub.add_argument("file")
    sub.add_argument("--org", required=True, help="organization slug")
    sub.add_argument("--dry-run", action="store_true", help="report only, write nothing")
    sub.add_argument(
        "--mode",
        default="SKIP_EXISTING",
        choices=["CREATE_ONLY", "SKIP_EXISTING", "UPDATE_EXISTING"],
        help="what rows matching existing clients do",
    )
    sub.add_argument(
        "--match-on",
        default="EMAIL",
        help="EMAIL, TAX_ID or EMAIL,TAX_ID: how rows find existing clients",
    )
    sub.add_argument("--default-country", help="for phones and tax IDs without a country")
    sub.add_argument("--sheet", help="XLSX: the sheet to read (default: the first)")
    sub.add_argument(
        "--all-or-nothing", action="store_true", help="import nothing when any row is invalid"
    )
    sub.add_argument(
        "--language", default="en", choices=["en", "es"], help="language of the report's messages"
    )

    command("export-schema", export_schema, "print the GraphQL SDL", db_option=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except UserErrors as exc:
        from gql_crm.services.messages import message

        for error in exc.errors:
            print(
                f"error: {'.'.join(error.field or ())}: {message(error.code, **error.params)}",
                file=sys.stderr,
            )
        return 2


if __name__ == "__main__":
    sys.exit(main())
