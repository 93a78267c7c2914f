"""Relay global IDs as text: base64 of "<Type>:<primary key>", as Strawberry spells them.

The API reads its ID arguments through Strawberry's GlobalID and `parse_pk`; what spells
them outside GraphQL (a spreadsheet's ID column, the planned path's SQLite function) uses
`encode` and `decode`, so every place names a row alike.
"""

import base64
import binascii

# Primary keys are 32-bit on PostgreSQL (serial) and SQLite refuses integers past 64 bits:
# a bigger number in an ID is sent to neither, it names no row.
MAX_PK = 2**31 - 1


def parse_pk(node_id: str) -> int | None:
    """The primary key a global ID's number can be, else None."""
    if not (node_id.isascii() and node_id.isdigit()):
        return None
    pk = int(node_id)
    return pk if 0 < pk <= MAX_PK else None


def encode(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def decode(global_id: str, type_name: str) -> int | None:
    """The primary key of a `type_name` the text names; None for anything else."""
    try:
        decoded = base64.b64decode(global_id.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    found_type, _, node_id = decoded.partition(":")
    return parse_pk(node_id) if found_type == type_name else None
