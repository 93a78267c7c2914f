"""A demo organization with realistic clients (valid phones and tax IDs), for trying the API."""

import itertools
import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

from stdnum.es import cif, dni

from gql_crm.models import (
    DealStage,
    InvoiceKind,
    Organization,
    ProjectStatus,
    PurchaseOrderStatus,
    Quote,
    Role,
    TaskPriority,
    TaskStatus,
)
from gql_crm.services import auth, billing, categories, clients, deals, projects
from gql_crm.services.records import today
from gql_crm.services.text import fold

DEMO_SLUG = "demo"

FIRST_NAMES = [
    "José",
    "María",
    "Lucía",
    "Álvaro",
    "Núria",
    "Íñigo",
    "Carmen",
    "Sofía",
    "Javier",
    "Begoña",
    "Andrés",
    "Raquel",
    "Óscar",
    "Elena",
    "Jesús",
    "Pilar",
    "Martín",
    "Inés",
    "Raúl",
    "Marta",
]
LAST_NAMES = [
    "García",
    "Fernández",
    "López",
    "Martínez",
    "Sánchez",
    "Pérez",
    "Gómez",
    "Muñoz",
    "Díaz",
    "Álvarez",
    "Romero",
    "Navarro",
    "Torres",
    "Domínguez",
    "Vázquez",
    "Ramos",
    "Gil",
    "Ortiz",
]
SPANISH_CITIES = [
    ("Madrid", "Madrid", "28013"),
    ("Barcelona", "Barcelona", "08002"),
    ("Valencia", "Valencia", "46002"),
    ("Sevilla", "Sevilla", "41004"),
    ("Bilbao", "Bizkaia", "48001"),
    ("Zaragoza", "Zaragoza", "50001"),
    ("Málaga", "Málaga", "29015"),
    ("A Coruña", "A Coruña", "15001"),
]
COMPANY_WORDS = ["Soluciones", "Construcciones", "Distribuciones", "Consultoría", "Talleres"]
CATEGORIES = ["Cliente VIP", "Particular", "Empresa", "Distribuidor"]
FOREIGN_CLIENTS = [
    # name, email, mobile, country, language, company, tax id, city, postal code
    (
        "Guadalupe Hernández",
        "guadalupe@tacos-lupita.mx",
        "+52 55 1234 5678",
        "MX",
        "es",
        "Tacos Lupita",
        "GODE561231GR8",
        "Ciudad de México",
        "06700",
    ),
    (
        "João Silva",
        "joao.silva@exemplo.pt",
        "+351 912 345 678",
        "PT",
        "pt",
        "Silva & Filhos Lda",
        None,
        "Lisboa",
        "1100-148",
    ),
    (
        "Camille Dubois",
        "camille.dubois@exemple.fr",
        "+33 6 12 34 56 78",
        "FR",
        "fr",
        "Dubois SARL",
        "FR40303265045",
        "Lyon",
        "69002",
    ),
    (
        "Emma Schmidt",
        "emma.schmidt@beispiel.de",
        "+49 1512 3456789",
        "DE",
        "de",
        None,
        None,
        "Berlin",
        "10115",
    ),
    (
        "Oliver Smith",
        "oliver.smith@example.co.uk",
        "+44 7911 123456",
        "GB",
        "en",
        "Smith & Sons Ltd",
        None,
        "London",
        "SW1A 1AA",
    ),
]


def _dni(rng: random.Random) -> str:
    number = f"{rng.randrange(10_000_000, 99_999_999)}"
    return number + dni.calc_check_digit(number)


def _cif(rng: random.Random) -> str:
    body = f"B{rng.randrange(10_000_000, 99_999_999)}"[:8]
    return body + cif.calc_check_digits(body)[0]


async def seed_demo(*, client_count: int = 36, seed: int = 2026) -> tuple[Organization, str]:
    """Creates the demo organization once; returns it with a fresh ADMIN token."""
    org = await Organization.get_or_none(slug=DEMO_SLUG)
    if org is None:
        org = await auth.create_organization("Demo CRM", slug=DEMO_SLUG, default_country="ES")
    admin = await auth.get_or_create_user(org, "admin@demo.example", Role.ADMIN)
    actor = auth.Actor(org, admin, Role.ADMIN)
    if not await clients.Client.filter(organization_id=org.id).exists():
        rng = random.Random(seed)
        await _seed_clients(actor, client_count, rng)
        await _seed_profiles(actor, rng)
    return org, await auth.issue_token(admin)


async def _seed_clients(actor: auth.Actor, count: int, rng: random.Random) -> None:
    category_ids = [(await categories.create_category(actor, name)).id for name in CATEGORIES]
    for i in range(count - len(FOREIGN_CLIENTS)):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        city, state, postal_code = rng.choice(SPANISH_CITIES)
        email = fold(f"{first}.{last}{i}@example.es")
        data: dict[str, Any] = {
            "name": f"{first} {last} {rng.choice(LAST_NAMES)}",
            "email": email,
            "mobile": f"6{rng.randrange(10_000_000, 99_999_999)}",
            "country": "ES",
            "gender": rng.choice(["FEMALE", "MALE", None]),
            "language": rng.choice(["es", "es", "ca", "en"]),
            "category_id": rng.choice(category_ids),
        }
        if i % 2 == 0:
            data["company"] = {
                "name": f"{rng.choice(COMPANY_WORDS)} {last} {i}",
                "legal_name": f"{rng.choice(COMPANY_WORDS)} {last} {i} S.L.",
                "tax_id": _cif(rng),
                "website": f"www.{last.lower()}{i}.example.es",
                "office_phone": f"91{rng.randrange(1_000_000, 9_999_999)}",
                "address": {
                    "street": f"Calle Mayor {i + 1}",
                    "city": city,
                    "state": state,
                    "postal_code": postal_code,
                    "country": "ES",
                },
            }
        elif i % 3 == 0:
            data["company"] = {"name": f"{first} {last} (autónomo)", "tax_id": _dni(rng)}
        await clients.create_client(actor, data)
    for name, email, mobile, country, language, company, tax_id, city, postal in FOREIGN_CLIENTS:
        data = {
            "name": name,
            "email": email,
            "mobile": mobile,
            "country": country,
            "language": language,
            "category_id": rng.choice(category_ids),
        }
        if company:
            data["company"] = {
                "name": company,
                "tax_id": tax_id,
                "address": {"city": city, "postal_code": postal, "country": country},
            }
        await clients.create_client(actor, data)


PROJECT_NAMES = [
    "Web corporativa",
    "Migración ERP",
    "Campaña de verano",
    "Auditoría anual",
    "App móvil",
    "Formación equipo",
]
TASK_TITLES = [
    "Reunión de arranque",
    "Enviar presupuesto",
    "Revisar diseño",
    "Preparar datos",
    "Pruebas con el cliente",
    "Documentación",
    "Puesta en marcha",
]
SERVICES = [
    ("Horas de consultoría", "65"),
    ("Licencia anual", "1200"),
    ("Diseño gráfico", "45"),
    ("Mantenimiento mensual", "180"),
    ("Material de oficina", "12.35"),
]


async def _seed_profiles(actor: auth.Actor, rng: random.Random) -> None:
    """Every profile card and tab shows real data: each client gets projects, tasks, hours,
    invoices of both kinds, purchase orders, deals and quotes; one in three (and the newest,
    which the list shows first) gets every state of every record."""
    numbers = itertools.count(1)
    rows = await clients.Client.filter(organization_id=actor.org_id).order_by("id")
    for i, client in enumerate(rows):
        full = i % 3 == 0 or i == len(rows) - 1
        await _seed_profile(actor, client.id, rng, numbers, full)


def _lines(rng: random.Random, count: int) -> list[dict]:
    return [
        {
            "description": name,
            "quantity": Decimal(rng.choice(["1", "2", "5", "7.5", "10"])),
            "unit_price": Decimal(price),
            "tax_rate": Decimal(rng.choice(["21", "21", "10", "0"])),
        }
        for name, price in rng.sample(SERVICES, count)
    ]


DEMO_PROBABILITIES = {
    DealStage.LEAD: 10,
    DealStage.QUALIFIED: 25,
    DealStage.PROPOSAL: 50,
    DealStage.NEGOTIATION: 75,
    DealStage.WON: 100,
    DealStage.LOST: 0,
}


async def _seed_profile(
    actor: auth.Actor, client_id: int, rng: random.Random, numbers, full: bool
) -> None:
    day0 = today(actor.organization)

    def day(offset: int):
        return day0 + timedelta(days=offset)

    statuses = [ProjectStatus.ACTIVE, ProjectStatus.COMPLETED, ProjectStatus.PLANNED]
    project_ids = []
    for status in statuses if full else statuses[:1]:
        created = await projects.create_project(
            actor,
            client_id,
            {
                "name": rng.choice(PROJECT_NAMES),
                "status": status,
                "start_date": day(-60),
                "deadline": day(rng.randrange(10, 90)),
                "budget": Decimal(rng.randrange(20, 200) * 100),
                "hourly_rate": Decimal("45.00"),
            },
        )
        project_ids.append(created.id)
        for _ in range(rng.randrange(2, 6)):
            await projects.log_time(
                actor,
                {
                    "project_id": created.id,
                    "date": day(-rng.randrange(1, 50)),
                    "hours": Decimal(rng.choice(["0.5", "1", "2.25", "4", "7.5"])),
                    "note": "Trabajo en " + created.name,
                },
            )
    offsets = [-3, 0, 5, 12, None, -8] if full else [rng.choice([-2, 3, None])]
    for n, offset in enumerate(offsets):
        task = await projects.create_task(
            actor,
            project_ids[0],
            {
                "title": TASK_TITLES[n % len(TASK_TITLES)],
                "due_date": None if offset is None else day(offset),
                "priority": list(TaskPriority)[n % len(TaskPriority)],
            },
        )
        if n == 5:
            await projects.set_task_status(actor, task.id, TaskStatus.DONE)

    # (kind, state, due offset, currency)
    invoices: list[tuple[InvoiceKind, str, int | None, str]] = [
        (InvoiceKind.SALE, "PENDING", 15, "EUR"),
        (InvoiceKind.SALE, "PAID", -20, "EUR"),
    ]
    if full:
        invoices += [
            (InvoiceKind.SALE, "DRAFT", 30, "EUR"),
            (InvoiceKind.SALE, "OVERDUE", -10, "EUR"),
            (InvoiceKind.SALE, "CANCELED", 5, "EUR"),
            (InvoiceKind.SALE, "PENDING", None, "USD"),
            (InvoiceKind.PURCHASE, "PENDING", 20, "EUR"),
            (InvoiceKind.PURCHASE, "OVERDUE", -4, "EUR"),
            (InvoiceKind.PURCHASE, "PAID", -30, "EUR"),
        ]
    for kind, state, due, currency in invoices:
        prefix = "F" if kind == InvoiceKind.SALE else "FP"
        invoice = await billing.create_invoice(
            actor,
            {
                "client_id": client_id,
                "kind": kind,
                "number": f"{prefix}-2026-{next(numbers):04}",
                "issue_date": day(-45),
                "due_date": None if due is None else day(due),
                "currency": currency,
                "lines": _lines(rng, rng.randrange(1, 4)),
            },
        )
        if state == "DRAFT":
            continue
        if state == "CANCELED":
            await billing.cancel_invoice(actor, invoice.id)
            continue
        await billing.authorize_invoice(actor, invoice.id)
        if state == "PAID":
            await billing.record_payment(actor, invoice.id, invoice.total, day(-15))
        elif state == "OVERDUE":
            await billing.record_payment(
                actor, invoice.id, (invoice.total / 3).quantize(Decimal("0.01")), day(-5)
            )

    for order_status in [
        PurchaseOrderStatus.OPEN,
        PurchaseOrderStatus.CLOSED,
        PurchaseOrderStatus.CANCELED,
    ][: 3 if full else 1]:
        issued = day(-rng.randrange(1, 90))
        price, service = Decimal(rng.randrange(50, 5000)), rng.choice(SERVICES)[0]
        order = await billing.create_purchase_order(
            actor,
            {
                "client_id": client_id,
                "number": f"PC-2026-{next(numbers):04}",
                "issue_date": issued,
                "expected_delivery_date": issued + timedelta(days=30),
                "lines": [
                    {"description": service, "quantity": 1, "unit_price": price, "tax_rate": 21}
                ],
                "description": service,
            },
        )
        if order_status != PurchaseOrderStatus.OPEN:
            await billing.set_purchase_order_status(actor, order.id, order_status)

    deal_ids = []
    for stage in list(DealStage) if full else [rng.choice(list(DealStage))]:
        deal = await deals.create_deal(
            actor,
            {
                "client_id": client_id,
                "title": f"{rng.choice(PROJECT_NAMES)} ({stage.value.lower()})",
                "value": Decimal(rng.randrange(10, 300) * 50),
                "stage": stage,
                "expected_close_date": day(rng.randrange(-30, 90)),
                "probability": DEMO_PROBABILITIES[stage],
                "owner_id": actor.user_id,
            },
        )
        deal_ids.append(deal.id)
    # Answer: None (DRAFT), "sent", "accepted", "declined"; a past validUntil reads EXPIRED.
    quotes = [("sent", 20)] + (
        [(None, 30), ("accepted", 10), ("declined", 10), (None, -5)] if full else []
    )
    for answer, valid in quotes:
        quote = await deals.create_quote(
            actor,
            {
                "client_id": client_id,
                "deal_id": rng.choice(deal_ids),
                "number": f"P-2026-{next(numbers):04}",
                # A quote cannot be created expired: an expired one was valid when made.
                "valid_until": day(max(valid, 0)),
                "lines": _lines(rng, rng.randrange(1, 3)),
            },
        )
        if valid < 0:
            await Quote.filter(id=quote.id).update(valid_until=day(valid))
        if answer:
            await deals.send_quote(actor, quote.id)
        if answer == "accepted":
            await deals.accept_quote(actor, quote.id)
        elif answer == "declined":
            await deals.decline_quote(actor, quote.id)


__all__ = ["seed_demo"]
