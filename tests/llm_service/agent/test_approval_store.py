"""Every approval store keeps the same promises: an approval is read back whole (its call
included), listed while pending, closed exactly once, expired once its time is up, and (file and
Redis) still there for the next process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from llm_service.agent.approval_store import (
    Approval,
    ApprovalStore,
    FileApprovalStore,
    MemoryApprovalStore,
    PendingCall,
    RedisApprovalStore,
    open_approval_store,
)
from voxhall.launcher import free_loopback_port

START = 1_000_000.0
Clock = list[float]
Reopen = Callable[[], ApprovalStore]


def approval(approval_id: str = "apr_1", expires_in_s: float = 60.0) -> Approval:
    return Approval(
        id=approval_id,
        tool="calendar__create_event",
        summary="calendar__create_event: summary=Retro",
        created_at=START,
        expires_at=START + expires_in_s,
        call=PendingCall(arguments={"summary": "Retro", "attendees": []}, origin={"guild_id": "1"}),
    )


@pytest.fixture
def clock() -> Clock:
    return [START]


@pytest.fixture(params=["memory", "file", "redis"])
async def stores(
    request: pytest.FixtureRequest, tmp_path: Path, clock: Clock, redis_url: str
) -> AsyncIterator[tuple[ApprovalStore, Reopen]]:
    """A store, and how to open it again as a restarted process would."""
    now = lambda: clock[0]  # noqa: E731
    opened: list[ApprovalStore] = []

    def reopen() -> ApprovalStore:
        if request.param == "file":
            store: ApprovalStore = FileApprovalStore(tmp_path / "approvals.json", now)
        elif request.param == "redis":
            store = RedisApprovalStore(aioredis.Redis.from_url(redis_url), now)
        else:
            store = MemoryApprovalStore(now)
        opened.append(store)
        return store

    yield reopen(), reopen
    for store in opened:
        await store.aclose()


async def test_an_approval_reads_back_whole_and_is_listed_while_pending(
    stores: tuple[ApprovalStore, Reopen],
) -> None:
    store, _ = stores
    await store.put(approval())
    assert await store.get("apr_1") == approval()
    assert await store.pending() == [approval()]
    assert await store.get("apr_unknown") is None


async def test_it_closes_once_whoever_comes_first(stores: tuple[ApprovalStore, Reopen]) -> None:
    store, _ = stores
    await store.put(approval())
    clicks = [("approved", "a"), ("denied", "b")] * 4
    closings = await asyncio.gather(*(store.close("apr_1", status, by) for status, by in clicks))
    [closed] = [c for c in closings if c is not None]
    assert (closed.status, closed.by) == ("approved", "a")
    stored = await store.get("apr_1")
    assert stored is not None and (stored.status, stored.by) == ("approved", "a")
    assert await store.pending() == []
    assert await store.close("apr_unknown", "denied", "a") is None


async def test_past_its_expiry_it_reads_as_expired_and_is_no_longer_listed(
    stores: tuple[ApprovalStore, Reopen], clock: Clock
) -> None:
    store, _ = stores
    await store.put(approval("apr_1", expires_in_s=10))
    await store.put(approval("apr_2", expires_in_s=100))
    clock[0] = START + 10
    expired = await store.get("apr_1")
    assert expired is not None and expired.status == "expired"
    assert [a.id for a in await store.pending()] == ["apr_2"]
    closed = await store.close("apr_1", "expired", None)
    assert closed is not None and closed.status == "expired"


async def test_what_one_process_wrote_the_next_one_reads(
    stores: tuple[ApprovalStore, Reopen],
) -> None:
    store, reopen = stores
    if type(store) is MemoryApprovalStore:
        pytest.skip("memory does not outlive its process")
    await store.put(approval("apr_1"))
    await store.put(approval("apr_2"))
    await store.close("apr_2", "denied", "bob")
    again = reopen()
    assert [a.id for a in await again.pending()] == ["apr_1"]
    denied = await again.get("apr_2")
    assert denied is not None and (denied.status, denied.by) == ("denied", "bob")
    assert await again.close("apr_2", "approved", "eve") is None


async def test_without_redis_the_file_is_used(tmp_path: Path) -> None:
    no_redis = f"redis://127.0.0.1:{free_loopback_port()}/0"
    store = await open_approval_store(no_redis, tmp_path / "state" / "approvals.json")
    assert isinstance(store, FileApprovalStore)
    await store.put(approval())
    assert (tmp_path / "state" / "approvals.json").exists()


async def test_an_unreadable_file_starts_empty(tmp_path: Path) -> None:
    path = tmp_path / "approvals.json"
    path.write_text("{not json")
    assert await FileApprovalStore(path).pending() == []
