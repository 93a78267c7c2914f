"""Limits on a GraphQL document (depth, aliases, cost), in time linear in its size.

Strawberry's QueryDepthLimiter and MaxAliasesLimiter walk a fragment again at every spread:
twenty fragments that each spread the next one twice make 2^20 walks from a 1 KB document,
seconds of a blocked event loop. Here each fragment is measured once, after the fragments it
spreads, and its figure reused at every spread.
"""

from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from graphql import (
    BREAK,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    VariableNode,
    get_named_type,
    get_operation_ast,
    is_leaf_type,
)

from gql_crm.services.pagination import DEFAULT_PAGE_SIZE

T = TypeVar("T")


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }


# The selections that are not fragment spreads: graphql-core types them apart.
_WithSelections = FieldNode | InlineFragmentNode


def _operations(document: DocumentNode) -> list[OperationDefinitionNode]:
    return [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]


def _spreads(selection_set: SelectionSetNode) -> Iterator[str]:
    for selection in selection_set.selections:
        if isinstance(selection, FragmentSpreadNode):
            yield selection.name.value
        elif isinstance(selection, _WithSelections) and selection.selection_set is not None:
            yield from _spreads(selection.selection_set)


def _dependency_order(fragments: Mapping[str, FragmentDefinitionNode]) -> list[str]:
    """Fragment names, each after the fragments it spreads; a cycle is cut where it closes.

    Iterative: a chain of hundreds of fragments fits in the token limit, not in the stack."""
    order: list[str] = []
    seen: set[str] = set()
    for root in fragments:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, _spreads(fragments[root].selection_set))]
        while stack:
            name, spreads = stack[-1]
            for spread in spreads:
                if spread in fragments and spread not in seen:
                    seen.add(spread)
                    stack.append((spread, _spreads(fragments[spread].selection_set)))
                    break
            else:
                stack.pop()
                order.append(name)
    return order


def measure_fragments(
    fragments: Mapping[str, FragmentDefinitionNode],
    measure: Callable[[FragmentDefinitionNode, dict[str, T]], T],
) -> dict[str, T]:
    """Each fragment's figure, measured once, after those of the fragments it spreads; a
    spread missing from the result (unknown, or closing a cycle: graphql-core's rules report
    both) counts as empty."""
    figures: dict[str, T] = {}
    for name in _dependency_order(fragments):
        figures[name] = measure(fragments[name], figures)
    return figures


def operation_depth(selection_set: SelectionSetNode, fragments: Mapping[str, int]) -> int:
    """Strawberry's depth: nested fields with selections; introspection fields count 0."""
    deepest = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.selection_set is None or selection.name.value.startswith("__"):
                continue
            depth = 1 + operation_depth(selection.selection_set, fragments)
        elif isinstance(selection, InlineFragmentNode):
            depth = operation_depth(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            depth = fragments.get(selection.name.value, 0)
        deepest = max(deepest, depth)
    return deepest


def alias_count(selection_set: SelectionSetNode, fragments: Mapping[str, int]) -> int:
    """Aliases, counting a fragment's once per spread, as Strawberry's limiter does."""
    count = 0
    for selection in selection_set.selections:
        if isinstance(selection, FragmentSpreadNode):
            count += fragments.get(selection.name.value, 0)
            continue
        if isinstance(selection, FieldNode) and selection.alias:
            count += 1
        if isinstance(selection, _WithSelections) and selection.selection_set is not None:
            count += alias_count(selection.selection_set, fragments)
    return count


def depth_rule(max_depth: int) -> type[ValidationRule]:
    class QueryDepthRule(ValidationRule):
        def enter_document(self, document: DocumentNode, *_args):
            fragments = measure_fragments(
                _fragments(document), lambda f, known: operation_depth(f.selection_set, known)
            )
            for operation in _operations(document):
                if operation_depth(operation.selection_set, fragments) > max_depth:
                    name = operation.name.value if operation.name else "anonymous"
                    self.report_error(
                        GraphQLError(
                            f"'{name}' exceeds maximum operation depth of {max_depth}",
                            operation,
                        )
                    )
            return BREAK

    return QueryDepthRule


def aliases_rule(max_aliases: int) -> type[ValidationRule]:
    class MaxAliasesRule(ValidationRule):
        def enter_document(self, document: DocumentNode, *_args):
            fragments = measure_fragments(
                _fragments(document), lambda f, known: alias_count(f.selection_set, known)
            )
            total = sum(alias_count(op.selection_set, fragments) for op in _operations(document))
            if total > max_aliases:
                self.report_error(GraphQLError(f"{total} aliases found. Allowed: {max_aliases}"))
            return BREAK

    return MaxAliasesRule


class _Cost:
    """The objects an operation may return: every object field counts once per parent
    object, and a paginated field's page size (first/last, DEFAULT_PAGE_SIZE when omitted,
    at most max_page_size) multiplies the lists directly under it (edges, nodes).

    Lists that take no page size (invoice lines, amounts per currency) count as one item:
    they are bounded by the domain, not by the caller.

    A selection set's cost is `fixed + page * listed` (`listed`: its list fields, which the
    enclosing page size multiplies), so a fragment is measured once whatever page it is
    spread under."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variables: Mapping[str, Any],
        max_page_size: int,
    ):
        self.schema = schema
        self.variables = variables
        self.max_page_size = max_page_size
        self.fragments = measure_fragments(_fragments(document), self.fragment)

    def fragment(
        self, fragment: FragmentDefinitionNode, known: Mapping[str, tuple[int, int]]
    ) -> tuple[int, int]:
        condition = self.schema.get_type(fragment.type_condition.name.value)
        if condition is None:
            return 0, 0
        return self.selection_set(fragment.selection_set, condition, known)

    def total(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLNamedType,
        page: int | None,
        known: Mapping[str, tuple[int, int]],
    ) -> int:
        fixed, listed = self.selection_set(selection_set, parent, known)
        return fixed + (1 if page is None else page) * listed

    def selection_set(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLNamedType,
        known: Mapping[str, tuple[int, int]],
    ) -> tuple[int, int]:
        fixed = listed = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                cost, is_list = self.field(selection, parent, known)
                if is_list:
                    listed += cost
                else:
                    fixed += cost
                continue
            if isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                more_fixed, more_listed = self.selection_set(
                    selection.selection_set, inner or parent, known
                )
            elif isinstance(selection, FragmentSpreadNode):
                more_fixed, more_listed = known.get(selection.name.value, (0, 0))
            fixed += more_fixed
            listed += more_listed
        return fixed, listed

    def field(
        self, node: FieldNode, parent: GraphQLNamedType, known: Mapping[str, tuple[int, int]]
    ) -> tuple[int, bool]:
        """The field's cost per parent object (per item when it is a list)."""
        if node.selection_set is None or node.name.value.startswith("__"):
            return 0, False
        if not isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
            return 0, False
        definition = parent.fields.get(node.name.value)
        if definition is None:
            return 0, False
        named = get_named_type(definition.type)
        if is_leaf_type(named):
            return 0, False
        field_type = definition.type
        if isinstance(field_type, GraphQLNonNull):
            field_type = field_type.of_type
        page = self.page_size(node) if {"first", "last"} & definition.args.keys() else None
        return 1 + self.total(node.selection_set, named, page, known), isinstance(
            field_type, GraphQLList
        )

    def page_size(self, node: FieldNode) -> int:
        sizes = [self.argument(node, name) for name in ("first", "last")]
        given = [size for size in sizes if size is not None]
        size = max(given) if given else DEFAULT_PAGE_SIZE
        return min(max(size, 0), self.max_page_size)

    def argument(self, node: FieldNode, name: str) -> int | None:
        for argument in node.arguments or ():
            if argument.name.value != name:
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, VariableNode):
                variable = self.variables.get(value.name.value)
                return variable if isinstance(variable, int) else None
        return None


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    max_page_size: int,
) -> int:
    """The cost of the operation a request runs (0 when it names none that exists)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    cost = _Cost(schema, document, variables or {}, max_page_size)
    return cost.total(operation.selection_set, root, None, cost.fragments)
