"""The domain: rules, validation and queries. Nothing in here knows about GraphQL."""
