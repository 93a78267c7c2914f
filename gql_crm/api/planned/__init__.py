"""The planned execution path: hot queries answered by one SQL statement per root field
that builds the response's JSON in the database, beside Strawberry's executor.

`Planner.respond` returns the response body, or None when the executor must answer: an
anonymous caller, a document that does not parse or validate (the executor reports why), a
mutation or subscription, a field or directive the compiler does not cover, bad variables
or arguments, a page size error. So every query keeps working, and every error keeps the
executor's shape.
"""

import logging
from collections import Counter
from functools import lru_cache

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
)
from graphql.execution.values import get_variable_values
from tortoise import connections

from gql_crm.api.extensions import limit_rules
from gql_crm.api.limits import operation_cost
from gql_crm.api.planned.compiler import Plan, Request, Unplannable, compile_operation
from gql_crm.api.planned.sql import Dialect, dialect_of
from gql_crm.config import Settings

logger = logging.getLogger("gql_crm.planned")

# Compiled operations kept, like prepared statements; a miss costs a parse and a validation.
PLAN_CACHE_SIZE = 512


class Planner:
    def __init__(self, strawberry_schema, settings: Settings):
        self.strawberry_schema = strawberry_schema
        self.schema = strawberry_schema._schema
        self.settings = settings
        self.rules = [*specified_rules, *limit_rules(settings)]
        self._dialect: Dialect | None = None
        # How many operations each path answered: tests check the hot ones are planned.
        self.counts: Counter = Counter()
        self._plans = lru_cache(maxsize=PLAN_CACHE_SIZE)(self._compile)

    def _compile(self, query: str, operation_name: str | None, dialect_name: str):
        try:
            document = parse(query, max_tokens=self.settings.max_tokens)
        except GraphQLError:
            return None
        if validate(self.schema, document, self.rules):
            return None
        operation = get_operation_ast(document, operation_name)
        if not isinstance(operation, OperationDefinitionNode):
            return None
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        dialect = self.dialect
        assert dialect is not None, "respond() plans only on a database it has SQL for"
        try:
            plan = compile_operation(
                self.schema, self.strawberry_schema, dialect, operation, fragments
            )
            return plan, document
        except Unplannable as reason:
            logger.debug("left to the executor: %s", reason)
        except Exception:
            logger.exception("planning failed; the executor answers")
        return None

    @property
    def dialect(self) -> Dialect | None:
        if self._dialect is None:
            self._dialect = dialect_of(connections.get("default"))
        return self._dialect

    async def respond(
        self, context, query: str | None, variables: dict | None, operation_name: str | None
    ) -> bytes | None:
        dialect = self.dialect
        if context.actor is None or not query or dialect is None:
            return None
        compiled: tuple[Plan, DocumentNode] | None = self._plans(
            query, operation_name, dialect.name
        )
        if compiled is None:
            self.counts["executor"] += 1
            return None
        plan, document = compiled
        operation = plan.operation
        coerced = get_variable_values(
            self.schema, operation.variable_definitions or (), variables or {}
        )
        if (
            isinstance(coerced, list)
            or operation_cost(
                self.schema, document, operation_name, variables, self.settings.max_page_size
            )
            > self.settings.max_query_cost
        ):
            # The executor refuses it, with the cost and the limit in the caller's language.
            self.counts["executor"] += 1
            return None
        request = Request(
            org_id=context.org_id,
            max_page_size=self.settings.max_page_size,
            variables=coerced,
            strawberry_schema=self.strawberry_schema,
            today=context.today,
            organization=context.actor.organization,
        )
        try:
            body = await plan.run(dialect, request)
        except Unplannable as reason:
            logger.debug("left to the executor: %s", reason)
            self.counts["executor"] += 1
            return None
        except Exception:
            logger.exception("the planned path failed")
            self.counts["failed"] += 1
            return None
        self.counts["planned"] += 1
        return body
