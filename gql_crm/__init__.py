"""gql-crm: a GraphQL API for a CRM's clients and everything a client's profile links to."""

__version__ = "0.1.0"
