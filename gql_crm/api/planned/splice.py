"""An operation whose root fields the planned path answers only in part: the executor runs
the rest, and the two answers are spliced in the operation's order.

The executor gets the same document text with the planned root fields blanked out (spaces,
line breaks kept), and with them the variable and fragment definitions only they used
(GraphQL refuses unused ones). Every place in the text stays where it was, so an error's
`locations` are the ones a whole run of the executor gives, as are its `path`, its masking
and its codes.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    Node,
    OperationDefinitionNode,
    TokenKind,
    VariableNode,
    Visitor,
    visit,
)


@dataclass(frozen=True)
class Spliced:
    """The planned root fields' JSON by response key, the rest for the executor."""

    keys: tuple[str, ...]
    answers: dict[str, str]
    executor_query: str

    def merge(self, executed: Mapping[str, Any]) -> dict[str, Any]:
        """The response: the executor's (`process_result`) with the planned answers put in
        their places. A root field the executor nulled whole nulls the data, as it would."""
        data = executed.get("data")
        if data is None:
            return dict(executed)
        merged = {}
        for key in self.keys:
            if key in self.answers:
                merged[key] = orjson.loads(self.answers[key])
            elif key in data:
                merged[key] = data[key]
        return {**executed, "data": merged}


class _Uses(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.variables: set[str] = set()
        self.fragments: set[str] = set()

    def enter_variable(self, node: VariableNode, *_) -> None:
        self.variables.add(node.name.value)

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_) -> None:
        self.fragments.add(node.name.value)


def _uses(nodes: Sequence[Node], fragments: dict[str, FragmentDefinitionNode]) -> _Uses:
    """The variables and fragments `nodes` use, through the fragments they spread."""
    uses, seen = _Uses(), set[str]()
    pending = list(nodes)
    while pending:
        visit(pending.pop(), uses)
        for name in uses.fragments - seen:
            seen.add(name)
            if name in fragments:
                pending.append(fragments[name])
    return uses


def executor_query(
    document: DocumentNode, operation: OperationDefinitionNode, planned: set[str]
) -> str | None:
    """`document`'s text for the executor, without the root fields whose response key is in
    `planned`; None when the root selection is not plain fields (a root fragment's fields
    could be split between the two), or the text cannot be cut cleanly."""
    selections = operation.selection_set.selections
    if document.loc is None or not all(isinstance(s, FieldNode) for s in selections):
        return None
    kept = [s for s in selections if isinstance(s, FieldNode) and _key(s) not in planned]
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    own = _uses(kept, fragments)
    others = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    used_fragments = _uses([*kept, *(d for d in others if d is not operation)], fragments)
    cuts: list[Node] = [s for s in selections if s not in kept]
    cuts += [f for name, f in fragments.items() if name not in used_fragments.fragments]
    definitions = operation.variable_definitions or ()
    unused = [d for d in definitions if d.variable.name.value not in own.variables]
    spans = [(node.loc.start, node.loc.end) for node in cuts if node.loc]
    if unused and len(unused) == len(definitions):
        # No variable left: the parentheses go too, `query ()` does not parse.
        parentheses = _parentheses(definitions[0], definitions[-1])
        if parentheses is None:
            return None
        spans.append(parentheses)
    else:
        spans += [(d.loc.start, d.loc.end) for d in unused if d.loc]
    text = list(document.loc.source.body)
    for start, end in spans:
        for i in range(start, end):
            if text[i] not in "\r\n":
                text[i] = " "
    return "".join(text)


def _key(field: FieldNode) -> str:
    return (field.alias or field.name).value


def _parentheses(first: Node, last: Node) -> tuple[int, int] | None:
    if first.loc is None or last.loc is None:
        return None
    opening, closing = first.loc.start_token.prev, last.loc.end_token.next
    while opening is not None and opening.kind == TokenKind.COMMENT:
        opening = opening.prev
    while closing is not None and closing.kind == TokenKind.COMMENT:
        closing = closing.next
    if opening is None or closing is None:
        return None
    if opening.kind != TokenKind.PAREN_L or closing.kind != TokenKind.PAREN_R:
        return None
    return opening.start, closing.end
