"""The planned execution path: hot queries answered by one SQL statement per root field
that builds the response's JSON in the database, beside Strawberry's executor.

`Planner.respond` returns the response body, or None when the executor must answer: an
anonymous caller, a document that does not parse or validate (the executor reports why), a
mutation or subscription, bad variables or arguments, a page size error. A root field the
compiler does not cover goes to the executor alone, beside the planned ones (`Spliced`);
the whole operation does when no root field is covered. So every query keeps working, and
every error keeps the executor's shape.
"""

import logging
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    SelectionNode,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
)
from graphql.execution.values import get_variable_values
from tortoise import connections

from gql_crm.api.extensions import limit_rules
from gql_crm.api.limits import operation_cost
from gql_crm.api.planned.compiler import (
    Plan,
    Request,
    Unplannable,
    compile_operation,
    conditional_selections,
    included,
)
from gql_crm.api.planned.links import Links
from gql_crm.api.planned.splice import Spliced, executor_query
from gql_crm.api.planned.sql import Dialect, dialect_of
from gql_crm.config import Settings

logger = logging.getLogger("gql_crm.planned")

# Compiled operations kept, like prepared statements; a miss costs a parse and a validation.
PLAN_CACHE_SIZE = 512


@dataclass(frozen=True)
class Parsed:
    """A validated document's operation, its fragments, and the selections under @skip
    or @include (whose plan depends on the request's variables)."""

    document: DocumentNode
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    conditional: tuple[SelectionNode, ...]


class Planner:
    def __init__(self, strawberry_schema, settings: Settings):
        self.strawberry_schema = strawberry_schema
        self.schema = strawberry_schema._schema
        self.settings = settings
        self.rules = [*specified_rules, *limit_rules(settings)]
        self._dialect: Dialect | None = None
        # How many operations each path answered: tests check the hot ones are planned.
        self.counts: Counter = Counter()
        self._parsed = lru_cache(maxsize=PLAN_CACHE_SIZE)(self._parse)
        self._plans = lru_cache(maxsize=PLAN_CACHE_SIZE)(self._compile)

    def _parse(self, query: str, operation_name: str | None) -> Parsed | None:
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
        return Parsed(document, operation, fragments, conditional_selections(document))

    def _compile(
        self, query: str, operation_name: str | None, dialect_name: str, included: tuple[bool, ...]
    ):
        """The plan for requests whose @skip and @include keep the conditional selections
        `included` says (one plan per combination met, each cached)."""
        parsed = self._parsed(query, operation_name)
        assert parsed is not None, "respond() compiles only what parsed"
        dialect = self.dialect
        assert dialect is not None, "respond() plans only on a database it has SQL for"
        excluded = frozenset(
            id(node) for node, kept in zip(parsed.conditional, included, strict=True) if not kept
        )
        try:
            plan = compile_operation(
                self.schema,
                self.strawberry_schema,
                dialect,
                parsed.operation,
                parsed.fragments,
                excluded,
            )
            if plan.deferred:
                planned = {root.key for root in plan.roots}
                plan.executor_query = executor_query(parsed.document, parsed.operation, planned)
                if plan.executor_query is None:
                    raise Unplannable("root fields that cannot be split from the others")
            return plan
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
    ) -> bytes | Spliced | None:
        dialect = self.dialect
        if context.actor is None or not query or dialect is None:
            return None
        parsed: Parsed | None = self._parsed(query, operation_name)
        if parsed is None:
            self.counts["executor"] += 1
            return None
        coerced = get_variable_values(
            self.schema, parsed.operation.variable_definitions or (), variables or {}
        )
        if isinstance(coerced, list):
            # The executor reports the bad variables.
            self.counts["executor"] += 1
            return None
        try:
            conditions = tuple(included(node, coerced) for node in parsed.conditional)
        except GraphQLError:
            self.counts["executor"] += 1
            return None
        plan: Plan | None = self._plans(query, operation_name, dialect.name, conditions)
        if plan is None or (
            operation_cost(
                self.schema, parsed.document, operation_name, variables, self.settings.max_page_size
            )
            > self.settings.max_query_cost
        ):
            # The executor answers, or refuses it with the cost and the limit in the
            # caller's language.
            self.counts["executor"] += 1
            return None
        request = Request(
            org_id=context.org_id,
            max_page_size=self.settings.max_page_size,
            variables=coerced,
            strawberry_schema=self.strawberry_schema,
            today=context.today,
            organization=context.actor.organization,
            links=Links(self.settings, context.request),
        )
        try:
            if plan.deferred:
                assert plan.executor_query is not None, "_compile splits what it defers"
                answers = dict(await plan.answers(dialect, request))
                self.counts["spliced"] += 1
                return Spliced(plan.keys, answers, plan.executor_query)
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
