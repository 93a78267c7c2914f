"""Global IDs as text: what a spreadsheet's ID column and the planned path spell, read back
as the API reads its ID arguments."""

import base64

from hypothesis import given
from hypothesis import strategies as st
from strawberry import relay

from gql_crm.services.global_ids import MAX_PK, decode, encode, parse_pk


@given(st.integers(1, MAX_PK))
def test_an_encoded_id_decodes_to_its_key_and_reads_as_strawberry_spells_it(pk):
    text = encode("Client", pk)
    assert decode(text, "Client") == pk
    assert decode(text, "Company") is None
    assert text == str(relay.GlobalID("Client", str(pk)))


@given(st.text(max_size=30))
def test_a_number_names_a_row_only_when_it_is_plain_digits_in_range(node_id):
    pk = parse_pk(node_id)
    if pk is not None:
        assert node_id.isascii() and node_id.isdigit()
        assert int(node_id) == pk and 0 < pk <= MAX_PK


def test_what_names_no_row():
    assert parse_pk("05") == 5
    for node_id in ("0", "-1", str(MAX_PK + 1), "+5", " 5", "1_0", "١٢", ""):
        assert parse_pk(node_id) is None, node_id
    assert decode("not base64!", "Client") is None
    assert decode(base64.b64encode(b"\xff\xfe").decode(), "Client") is None
