"""GraphQL plumbing every domain of the API shares: global IDs and connections (`relay`),
per-request DataLoaders (`loaders`), money, nested connections under a parent (`nested`),
and absolute URLs (`urls`). Domain modules (`api/clients`, `api/billing`...) build on it;
it imports none of them."""
