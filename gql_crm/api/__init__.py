"""GraphQL: Strawberry types and thin resolvers over the services, one package per domain."""
