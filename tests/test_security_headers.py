"""Every answer tells the browser not to sniff, frame or leak the address (issue 11, item 20)."""

import pytest

EXPECTED = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


@pytest.mark.parametrize(
    "method,path,kwargs",
    [
        ("POST", "/graphql", {"json": {"query": "{ viewer { role } }"}}),
        ("GET", "/graphql", {"params": {"query": "{ __typename }"}}),
        ("GET", "/graphql", {"headers": {"Accept": "text/html"}}),
        (
            "POST",
            "/graphql",
            {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
        ),
        ("GET", "/healthz", {}),
        ("GET", "/no-such-page", {}),
    ],
)
async def test_security_headers(http, method, path, kwargs):
    response = await http.request(method, path, **kwargs)
    for name, value in EXPECTED.items():
        assert response.headers[name] == value, (name, response.headers)
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_json_answers_are_not_pages(http):
    response = await http.post("/graphql", json={"query": "{ __typename }"})
    assert response.headers["content-security-policy"] == (
        "default-src 'none'; frame-ancestors 'none'"
    )
