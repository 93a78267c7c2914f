"""The schema documents itself: everything a client can see through introspection has a
description, page sizes are stated, and custom scalars point at their specifications."""

from gql_crm.services.pagination import DEFAULT_PAGE_SIZE

INTROSPECTION = """
{ __schema { types {
  name kind description specifiedByURL
  fields(includeDeprecated: true) { name description
    args(includeDeprecated: true) { name description } }
  inputFields(includeDeprecated: true) { name description }
  enumValues(includeDeprecated: true) { name description }
} } }"""

# The GraphQL spec's own scalars and introspection types are not ours to describe.
BUILT_IN = {"String", "Int", "Float", "Boolean", "ID"}


def missing_descriptions(types: list[dict]) -> list[str]:
    missing = []

    def check(path: str, item: dict) -> None:
        if not (item.get("description") or "").strip():
            missing.append(path)

    for type_ in types:
        name = type_["name"]
        if name in BUILT_IN or name.startswith("__"):
            continue
        check(name, type_)
        for field in type_["fields"] or []:
            check(f"{name}.{field['name']}", field)
            for arg in field["args"]:
                check(f"{name}.{field['name']}({arg['name']}:)", arg)
        for field in type_["inputFields"] or []:
            check(f"{name}.{field['name']}", field)
        for value in type_["enumValues"] or []:
            check(f"{name}.{value['name']}", value)
    return missing


async def schema_types(org) -> list[dict]:
    return (await org.data(INTROSPECTION))["__schema"]["types"]


async def test_everything_in_the_schema_has_a_description(org):
    missing = missing_descriptions(await schema_types(org))
    assert missing == [], f"{len(missing)} without a description:\n" + "\n".join(missing)


async def test_every_page_size_argument_states_its_default_and_maximum(org):
    pages = 0
    for type_ in await schema_types(org):
        for field in type_["fields"] or []:
            for arg in field["args"]:
                if arg["name"] in ("first", "last"):
                    pages += 1
                    text = arg["description"] or ""
                    assert f"default {DEFAULT_PAGE_SIZE}" in text, (type_["name"], field["name"])
                    assert "GQL_CRM_MAX_PAGE_SIZE" in text and "100" in text, text
    assert pages >= 2 * 13


async def test_custom_scalars_name_their_specification(org):
    scalars = {t["name"]: t for t in await schema_types(org) if t["kind"] == "SCALAR"}
    urls = {
        name: scalars[name]["specifiedByURL"]
        for name in ("Date", "DateTime", "Decimal", "JSON", "Upload")
    }
    assert urls["DateTime"] == "https://scalars.graphql.org/andimarek/date-time"
    assert urls["Date"] == "https://scalars.graphql.org/andimarek/local-date"
    assert urls["JSON"].startswith("https://ecma-international.org/")
    assert urls["Upload"] == "https://github.com/jaydenseric/graphql-multipart-request-spec"
    assert urls["Decimal"]
    assert all(scalars[name]["description"] for name in urls)
