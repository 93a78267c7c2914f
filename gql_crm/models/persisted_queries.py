from tortoise import fields

from gql_crm.models.base import OrgScoped


class PersistedQuery(OrgScoped):
    """A GraphQL document an organization's client registered under its SHA-256 hash
    (automatic persisted queries), so every server process can find it."""

    sha256 = fields.CharField(max_length=64)
    query = fields.TextField()

    class Meta:
        unique_together = (("organization_id", "sha256"),)
