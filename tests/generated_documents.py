"""Query documents generated from the part of the schema the planned path covers, written
the ways clients write them: hypothesis-graphql draws the fields and argument values, then
a rewrite draws aliases, repeated fields (merged by response key), named, inline and bare
fragments, `__typename`, variables (with defaults, inside lists and input objects too) and
`@include`/`@skip`.

IDs and cursors depend on rows made after the documents are drawn (Hypothesis draws them
before the event loop runs the tests): a document holds placeholders ("@id:3",
"@cursor:7"), which `materialize` replaces with real ones once the data exists.
"""

import dataclasses
import json
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    ListValueNode,
    NamedTypeNode,
    NameNode,
    ObjectFieldNode,
    ObjectTypeDefinitionNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    TypeDefinitionNode,
    ValueNode,
    VariableDefinitionNode,
    VariableNode,
    build_ast_schema,
    get_named_type,
    parse,
    parse_type,
    print_ast,
    print_schema,
    value_from_ast_untyped,
)
from hypothesis import strategies as st
from hypothesis_graphql import nodes, queries

# How many placeholders of each kind a document may name; `materialize` wraps around.
ID_SLOTS = 12
CURSOR_SLOTS = 40

WORDS = ["a", "an", "ana", "ál", "ALVARO", "acme", "es", "+34", "612", "zoë", "100%", "_", ""]


def covered_schema(schema: GraphQLSchema, roots: Iterable[str], uncovered: set[str]):
    """`schema` cut down to the Query fields `roots`, less the fields `uncovered` names
    ("Type.field"), and to the types those still reach (an interface's other
    implementations are not reached through it)."""
    definitions = {
        d.name.value: d
        for d in parse(print_schema(schema)).definitions
        if isinstance(d, TypeDefinitionNode)
    }
    roots = set(roots)

    def kept_fields(definition) -> tuple:
        name = definition.name.value
        return tuple(
            f
            for f in definition.fields
            if f"{name}.{f.name.value}" not in uncovered
            and (name != "Query" or f.name.value in roots)
        )

    reached: dict[str, Any] = {}
    pending = ["Query"]
    while pending:
        name = pending.pop()
        if name in reached or name not in definitions:
            continue
        definition = definitions[name]
        if isinstance(
            definition,
            (ObjectTypeDefinitionNode, InterfaceTypeDefinitionNode, InputObjectTypeDefinitionNode),
        ):
            definition = dataclasses.replace(definition, fields=kept_fields(definition))
            for f in definition.fields:
                pending.append(_named(f.type))
                pending.extend(_named(a.type) for a in getattr(f, "arguments", None) or ())
            pending.extend(i.name.value for i in getattr(definition, "interfaces", None) or ())
        reached[name] = definition
    return build_ast_schema(DocumentNode(definitions=tuple(reached.values())))


def _named(type_node) -> str:
    while not isinstance(type_node, NamedTypeNode):
        type_node = type_node.type
    return type_node.name.value


def _datetimes():
    return st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
    ).map(lambda d: nodes.String(d.isoformat()))


def scalars(today: date) -> dict:
    """Argument values: IDs and cursors as placeholders, dates around the data's."""
    return {
        "ID": st.one_of(st.integers(0, ID_SLOTS - 1).map(lambda n: f"@id:{n}"), st.just("abc")).map(
            nodes.String
        ),
        # Strings are search terms and cursors: mostly a real cursor, so that a page after
        # one is asked for often (a cursor of another order is a bad cursor, both ways).
        "String": st.sampled_from(["cursor", "cursor", "word", "text"])
        .flatmap(
            lambda kind: {
                "cursor": st.integers(0, CURSOR_SLOTS - 1).map(lambda n: f"@cursor:{n}"),
                "word": st.sampled_from(WORDS),
                "text": st.text(max_size=4),
            }[kind]
        )
        .map(nodes.String),
        # Page sizes: mostly small ones, sometimes past the data or out of range.
        "Int": st.sampled_from([0, 1, 2, 3, 5, 1, 2, 3, 30, 100, -1, 101]).map(nodes.Int),
        "DateTime": _datetimes(),
        "Date": st.integers(-40, 40).map(lambda n: nodes.String(str(today + timedelta(days=n)))),
    }


FORWARD, BACKWARD = {"first", "after"}, {"last", "before"}

# Aliases: some shadow another field's name (legal while the two never meet).
ALIASES = ["a", "b", "x", "id", "node", "edges", "c2"]


class Rewrite:
    """One document's rewrite, each choice drawn (so Hypothesis can vary and replay it)."""

    def __init__(self, draw, schema: GraphQLSchema, directives: bool):
        self.draw = draw
        self.schema = schema
        self.directives = directives
        self.variables: dict[str, Any] = {}
        self.definitions: list[VariableDefinitionNode] = []
        self.fragments: list[FragmentDefinitionNode] = []
        self.aliases: set[str] = set()

    def chance(self, percent: int) -> bool:
        return self.draw(st.integers(0, 99)) < percent

    def document(self, document: DocumentNode) -> tuple[str, dict]:
        operation = document.definitions[0]
        assert isinstance(operation, OperationDefinitionNode)
        query_type = self.schema.query_type
        assert query_type is not None
        selection_set = self.selection_set(query_type, operation.selection_set)
        name = NameNode(value="Generated") if self.chance(30) else None
        rewritten = OperationDefinitionNode(
            operation=OperationType.QUERY,
            name=name,
            variable_definitions=tuple(self.definitions),
            directives=(),
            selection_set=selection_set,
        )
        # Fragments before or after the operation: both are documents clients send.
        definitions = [rewritten, *self.fragments]
        if self.fragments and self.chance(50):
            definitions = [*self.fragments, rewritten]
        return print_ast(DocumentNode(definitions=tuple(definitions))), self.variables

    def selection_set(self, parent, selection_set: SelectionSetNode) -> SelectionSetNode:
        selections: list = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                selections.append(self.field(parent, selection))
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                selections.append(
                    InlineFragmentNode(
                        type_condition=condition,
                        directives=(),
                        selection_set=self.selection_set(inner, selection.selection_set),
                    )
                )
        if self.chance(15):
            selections.insert(
                self.draw(st.integers(0, len(selections))),
                FieldNode(name=NameNode(value="__typename"), arguments=(), directives=()),
            )
        fields = [s for s in selections if isinstance(s, FieldNode) and s.selection_set]
        if fields and self.chance(15):
            # The same field again, with a part of its selection: the executor merges them.
            again = self.draw(st.sampled_from(fields))
            kept = self.draw(
                st.lists(
                    st.sampled_from(again.selection_set.selections),
                    min_size=1,
                    max_size=3,
                    unique_by=id,
                )
            )
            selections.append(
                dataclasses.replace(again, selection_set=SelectionSetNode(selections=tuple(kept)))
            )
        if (
            isinstance(parent, GraphQLObjectType)
            and "id" in parent.fields
            and any(i.name == "Node" for i in parent.interfaces)
            and self.chance(10)
        ):
            selections.append(self._inline("Node", [_field("id")]))
        if len(selections) > 1 and self.chance(30):
            start = self.draw(st.integers(0, len(selections) - 1))
            end = self.draw(st.integers(start + 1, len(selections)))
            selections[start:end] = [self.fragment(parent, selections[start:end])]
        if self.directives:
            selections = [self.maybe_conditional(s) for s in selections]
        return SelectionSetNode(selections=tuple(selections))

    def fragment(self, parent, selections: list):
        kind = self.draw(st.sampled_from(["named", "inline", "bare"]))
        if kind == "bare":
            return self._inline(None, selections)
        if kind == "inline":
            return self._inline(parent.name, selections)
        name = f"F{len(self.fragments)}"
        self.fragments.append(
            FragmentDefinitionNode(
                name=NameNode(value=name),
                type_condition=NamedTypeNode(name=NameNode(value=parent.name)),
                directives=(),
                selection_set=SelectionSetNode(selections=tuple(selections)),
            )
        )
        return FragmentSpreadNode(name=NameNode(value=name), directives=())

    @staticmethod
    def _inline(type_name: str | None, selections: list) -> InlineFragmentNode:
        return InlineFragmentNode(
            type_condition=NamedTypeNode(name=NameNode(value=type_name)) if type_name else None,
            directives=(),
            selection_set=SelectionSetNode(selections=tuple(selections)),
        )

    def maybe_conditional(self, selection):
        """`@include` or `@skip`, its condition a literal or a variable."""
        if not self.chance(12):
            return selection
        name = self.draw(st.sampled_from(["include", "skip"]))
        condition = self.draw(st.booleans())
        value: ValueNode = BooleanValueNode(value=condition)
        if self.chance(60):
            value = self.variable(GraphQLNonNull(self.schema.get_type("Boolean")), value)
        directive = DirectiveNode(
            name=NameNode(value=name),
            arguments=(ArgumentNode(name=NameNode(value="if"), value=value),),
        )
        return dataclasses.replace(selection, directives=(*(selection.directives or ()), directive))

    def field(self, parent, node: FieldNode) -> FieldNode:
        name = node.name.value
        alias = node.alias
        if self.chance(20):
            # A name of the pool, sometimes another field's; mostly numbered when taken,
            # since two fields under one response key must be the same field.
            alias_name = self.draw(st.sampled_from(ALIASES))
            taken = alias_name in self.aliases or alias_name in getattr(parent, "fields", {})
            if taken and self.chance(80):
                alias_name += str(len(self.aliases))
            self.aliases.add(alias_name)
            alias = NameNode(value=alias_name)
        if name == "__typename":
            return dataclasses.replace(node, alias=alias)
        definition = parent.fields[name]
        given = list(node.arguments or ())
        names = {a.name.value for a in given}
        if names & FORWARD and names & BACKWARD and self.chance(80):
            # Both directions are an error; mostly a page is asked one way.
            dropped = self.draw(st.sampled_from([FORWARD, BACKWARD]))
            given = [a for a in given if a.name.value not in dropped]
        arguments = tuple(
            ArgumentNode(name=a.name, value=self.value(definition.args[a.name.value].type, a.value))
            for a in given
        )
        selection_set = node.selection_set
        if selection_set:
            selection_set = self.selection_set(get_named_type(definition.type), selection_set)
        return dataclasses.replace(
            node, alias=alias, arguments=arguments, selection_set=selection_set
        )

    def value(self, type_, value: ValueNode) -> ValueNode:
        if self.chance(25):
            return self.variable(type_, value)
        inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        if isinstance(value, ListValueNode) and isinstance(inner, GraphQLList):
            return ListValueNode(values=tuple(self.value(inner.of_type, v) for v in value.values))
        if isinstance(value, ObjectValueNode) and isinstance(inner, GraphQLInputObjectType):
            return ObjectValueNode(
                fields=tuple(
                    ObjectFieldNode(
                        name=f.name, value=self.value(inner.fields[f.name.value].type, f.value)
                    )
                    for f in value.fields
                )
            )
        return value

    def variable(self, type_, value: ValueNode) -> VariableNode:
        """A variable of the location's type, given `value` in the request or as its
        default."""
        name = f"v{len(self.definitions)}"
        default = None
        if self.chance(25):
            default = value
        else:
            self.variables[name] = value_from_ast_untyped(value)
        self.definitions.append(
            VariableDefinitionNode(
                variable=VariableNode(name=NameNode(value=name)),
                type=parse_type(str(type_)),
                default_value=default,
                directives=(),
            )
        )
        return VariableNode(name=NameNode(value=name))


def _field(name: str) -> FieldNode:
    return FieldNode(name=NameNode(value=name), arguments=(), directives=())


def documents(schema: GraphQLSchema, root: str, today: date, directives: bool = True):
    """Documents (text and variables) whose one root field is `root`."""

    @st.composite
    def rewritten(draw) -> tuple[str, dict]:
        document = draw(
            queries(
                schema,
                fields=[root],
                custom_scalars=scalars(today),
                print_ast=lambda d: d,
                allow_x00=False,
            )
        )
        return Rewrite(draw, schema, directives).document(document)

    return rewritten()


PLACEHOLDER = re.compile(r"^@(id|cursor):(\d+)$")


def materialize(text: str, variables: dict, ids: list[str], cursors: list[str]):
    """The document and variables with their placeholders replaced by real IDs and cursors."""

    def real(kind: str, number: str) -> str:
        pool = ids if kind == "id" else cursors
        return pool[int(number) % len(pool)]

    def replace(value):
        if isinstance(value, str):
            match = PLACEHOLDER.match(value)
            return real(*match.groups()) if match else value
        if isinstance(value, list):
            return [replace(v) for v in value]
        if isinstance(value, dict):
            return {k: replace(v) for k, v in value.items()}
        return value

    text = re.sub(r'"@(id|cursor):(\d+)"', lambda m: json.dumps(real(m.group(1), m.group(2))), text)
    return text, replace(variables)
