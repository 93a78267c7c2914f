"""A demo organization with realistic clients (valid phones and tax IDs), for trying the API."""

import random

from stdnum.es import cif, dni

from gql_crm.models import Organization, Role
from gql_crm.services import auth, categories, clients
from gql_crm.services.text import fold

DEMO_SLUG = "demo"

FIRST_NAMES = [
    "José", "María", "Lucía", "Álvaro", "Núria", "Íñigo", "Carmen", "Sofía", "Javier", "Begoña",
    "Andrés", "Raquel", "Óscar", "Elena", "Jesús", "Pilar", "Martín", "Inés", "Raúl", "Marta",
]
LAST_NAMES = [
    "García", "Fernández", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Muñoz", "Díaz",
    "Álvarez", "Romero", "Navarro", "Torres", "Domínguez", "Vázquez", "Ramos", "Gil", "Ortiz",
]
SPANISH_CITIES = [
    ("Madrid", "Madrid", "28013"), ("Barcelona", "Barcelona", "08002"),
    ("Valencia", "Valencia", "46002"), ("Sevilla", "Sevilla", "41004"),
    ("Bilbao", "Bizkaia", "48001"), ("Zaragoza", "Zaragoza", "50001"),
    ("Málaga", "Málaga", "29015"), ("A Coruña", "A Coruña", "15001"),
]
COMPANY_WORDS = ["Soluciones", "Construcciones", "Distribuciones", "Consultoría", "Talleres"]
CATEGORIES = ["Cliente VIP", "Particular", "Empresa", "Distribuidor"]
FOREIGN_CLIENTS = [
    # name, email, mobile, country, language, company, tax id, city, postal code
    ("Guadalupe Hernández", "guadalupe@tacos-lupita.mx", "+52 55 1234 5678", "MX", "es",
     "Tacos Lupita", "GODE561231GR8", "Ciudad de México", "06700"),
    ("João Silva", "joao.silva@exemplo.pt", "+351 912 345 678", "PT", "pt",
     "Silva & Filhos Lda", None, "Lisboa", "1100-148"),
    ("Camille Dubois", "camille.dubois@exemple.fr", "+33 6 12 34 56 78", "FR", "fr",
     "Dubois SARL", "FR40303265045", "Lyon", "69002"),
    ("Emma Schmidt", "emma.schmidt@beispiel.de", "+49 1512 3456789", "DE", "de",
     None, None, "Berlin", "10115"),
    ("Oliver Smith", "oliver.smith@example.co.uk", "+44 7911 123456", "GB", "en",
     "Smith & Sons Ltd", None, "London", "SW1A 1AA"),
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
        await _seed_clients(actor, client_count, random.Random(seed))
    return org, await auth.issue_token(admin)


async def _seed_clients(actor: auth.Actor, count: int, rng: random.Random) -> None:
    category_ids = [(await categories.create_category(actor, name)).id for name in CATEGORIES]
    for i in range(count - len(FOREIGN_CLIENTS)):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        city, state, postal_code = rng.choice(SPANISH_CITIES)
        email = fold(f"{first}.{last}{i}@example.es")
        data = {
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
                "address": {"street": f"Calle Mayor {i + 1}", "city": city, "state": state,
                            "postal_code": postal_code, "country": "ES"},
            }
        elif i % 3 == 0:
            data["company"] = {"name": f"{first} {last} (autónomo)", "tax_id": _dni(rng)}
        await clients.create_client(actor, data)
    for name, email, mobile, country, language, company, tax_id, city, postal in FOREIGN_CLIENTS:
        data = {"name": name, "email": email, "mobile": mobile, "country": country,
                "language": language, "category_id": rng.choice(category_ids)}
        if company:
            data["company"] = {"name": company, "tax_id": tax_id,
                               "address": {"city": city, "postal_code": postal,
                                           "country": country}}
        await clients.create_client(actor, data)


__all__ = ["seed_demo"]
