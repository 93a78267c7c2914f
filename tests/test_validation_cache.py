"""Validating a document once per server, not once per request: the limits' rules are
stable, so the validation cache hits for a document it has seen."""

from strawberry.extensions.validation_cache import _get_validate_cache


async def test_a_document_is_validated_once(org):
    query = "query($n: Int) { clients(first: $n) { totalCount } }"
    await org.data(query, {"n": 1})
    cache = _get_validate_cache(512)
    hits, misses = cache.cache_info().hits, cache.cache_info().misses
    await org.data(query, {"n": 2})
    assert cache.cache_info().hits == hits + 1
    assert cache.cache_info().misses == misses


async def test_limits_still_apply(org):
    deep = "{ viewer { user { id } } " + "clients { edges { node { company { name } } } } }"
    assert "errors" not in await org.gql(deep)
    aliases = "{ " + " ".join(f"a{i}: viewer {{ role }}" for i in range(31)) + " }"
    body = await org.gql(aliases)
    assert body["errors"] and body["data"] is None
