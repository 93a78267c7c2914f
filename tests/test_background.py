"""The periodic checks beside a server (import recovery, folding the client counts) go on
after a round fails: one lost connection must not end them for the server's lifetime."""

import asyncio

from gql_crm.services import background


async def test_a_failed_round_is_logged_and_the_next_one_comes(caplog):
    rounds: list[int] = []
    third = asyncio.Event()

    async def action() -> None:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise ConnectionError("the database went away")
        if len(rounds) == 3:
            third.set()

    async with background.running(background.every(0.001, action, "the check"), "test-check"):
        await asyncio.wait_for(third.wait(), 10)
    assert rounds[:3] == [0, 1, 2]
    assert "the check failed" in caplog.text
    assert "the database went away" in caplog.text


async def test_the_task_ends_with_the_block():
    started = asyncio.Event()

    async def forever() -> None:
        started.set()
        await asyncio.Event().wait()

    async with background.running(forever(), "test-forever"):
        await started.wait()
        task = next(t for t in asyncio.all_tasks() if t.get_name() == "test-forever")
    assert task.cancelled()
