async def test_viewer(org):
    data = await org.data("{ viewer { user { email role } organization { name } } }")
    assert data["viewer"]["user"]["role"] == "ADMIN"
    assert data["viewer"]["organization"]["name"] == org.organization.name
