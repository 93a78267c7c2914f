"""The `gql-crm` command."""

import argparse
import asyncio
import os
import sys

from gql_crm import db
from gql_crm.config import Settings
from gql_crm.models import Organization, Role
from gql_crm.services import auth
from gql_crm.services.errors import UserErrors


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(database_url=getattr(args, "db", None))


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = _settings(args)
    # Workers are separate processes: they read the configuration from the environment.
    os.environ["GQL_CRM_DATABASE_URL"] = settings.database_url
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
    )
    return 0


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
            org = await Organization.get_or_none(slug=args.org)
            if org is None:
                print(f"error: no organization with slug {args.org!r}", file=sys.stderr)
                return 1
            email = args.email or f"{args.role.lower()}@{org.slug}.local"
            user = await auth.get_or_create_user(org, email, Role(args.role))
            print(f"user: {user.email} ({user.role.value})")
            print(await auth.issue_token(user))
            return 0

    return asyncio.run(run())


def export_clients(args: argparse.Namespace) -> int:
    from gql_crm.services import exports
    from gql_crm.services.clients import ClientFilter, ClientStatus

    request = exports.ExportRequest(
        format=exports.ExportFormat(args.format.upper()),
        search=args.search,
        filters=ClientFilter(status=None if args.include_archived else ClientStatus.ACTIVE),
        columns=tuple(args.columns.split(",")) if args.columns else tuple(exports.COLUMNS_BY_KEY),
        language=args.language,
        delimiter=args.delimiter,
    )
    request.validate()

    async def run() -> int:
        async with db.orm(_settings(args).database_url):
            org = await Organization.get_or_none(slug=args.org)
            if org is None:
                print(f"error: no organization with slug {args.org!r}", file=sys.stderr)
                return 1
            with open(args.output, "wb") as out:
                async for chunk in exports.stream(org, request):
                    out.write(chunk)
            print(f"exported to {args.output}", file=sys.stderr)
            return 0

    return asyncio.run(run())


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
            sub.add_argument("--db", help="database URL (default: $GQL_CRM_DATABASE_URL or "
                             "sqlite://gql_crm.sqlite3)")
        return sub

    sub = command("serve", serve, "run the server (applies migrations first)")
    sub.add_argument("--host", default="127.0.0.1")
    sub.add_argument("--port", type=int, default=8000)
    sub.add_argument("--workers", type=int, default=1)
    sub.add_argument("--demo", action="store_true",
                     help="seed a demo organization and print an admin token")

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
    sub.add_argument("--language", default="en", choices=["en", "es"],
                     help="language of the column headers")
    sub.add_argument("--delimiter", choices=[",", ";"],
                     help="CSV delimiter (default: ',' for en, ';' for es)")
    sub.add_argument("--columns", help="comma-separated column keys, e.g. name,email,mobile")
    sub.add_argument("--include-archived", action="store_true")
    sub.add_argument("-o", "--output", required=True, help="the file to write")

    command("export-schema", export_schema, "print the GraphQL SDL", db_option=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except UserErrors as exc:
        from gql_crm.services.messages import message

        for error in exc.errors:
            print(f"error: {'.'.join(error.field or ())}: {message(error.code, **error.params)}",
                  file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
