"""Approvals over HTTP: list, approve, deny, expiry as denial, unknown ids, bad bodies, many
clicks at once deciding once, and a call whose turn is gone run once when approved."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
from fastapi import FastAPI
from starlette.types import ASGIApp

from llm_service.agent.approval_store import Approval, PendingCall
from llm_service.agent.approvals import (
    ApprovalBook,
    ResumedCall,
    approvals_router,
    summarize_call,
)
from llm_service.schemas import AgentEvent
from voxhall.http import install_error_handlers


def approvals_app(book: ApprovalBook) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(approvals_router(book))
    return app


async def test_approve_and_deny_over_http(serve: Callable[[ASGIApp], str]) -> None:
    book = ApprovalBook(timeout_s=30)
    base = serve(approvals_app(book))
    events: list[AgentEvent] = []
    async with httpx.AsyncClient(base_url=base) as client:
        for decision, expected in [("approve", "approved"), ("deny", "denied")]:
            asking = asyncio.create_task(
                book.ask("calendar__delete_event", "delete x", events.append)
            )
            await asyncio.sleep(0.05)
            listed = (await client.get("/v1/approvals")).json()["data"]
            assert [a["summary"] for a in listed] == ["delete x"]
            approval_id = listed[0]["id"]
            answer = await client.post(
                f"/v1/approvals/{approval_id}", json={"decision": decision, "by": "u1"}
            )
            assert answer.status_code == 200 and answer.json()["status"] == expected
            assert (await asking).status == expected
            again = await client.post(
                f"/v1/approvals/{approval_id}", json={"decision": "approve", "by": "u1"}
            )
            assert again.status_code == 409
            assert again.json()["error"]["code"] == "approval_closed"
            assert f"it was {expected} by u1" in again.json()["error"]["message"]
        assert (await client.get("/v1/approvals")).json()["data"] == []
        unknown = await client.post("/v1/approvals/apr_0", json={"decision": "deny", "by": "u1"})
        assert unknown.status_code == 404
        assert unknown.json()["error"]["code"] == "approval_not_found"
        bad = await client.post("/v1/approvals/x", json={"decision": "maybe", "by": "u1"})
        assert bad.status_code == 400 and "error" in bad.json()
    required = [e for e in events if e.type == "approval_required"]
    resolved = [e for e in events if e.type == "approval_resolved"]
    assert len(required) == 2 and required[0].expires_at is not None
    assert [e.decision for e in resolved] == ["approved", "denied"]
    assert resolved[0].by == "u1"


async def test_expiry_counts_as_denial() -> None:
    book = ApprovalBook(timeout_s=0.1)
    events: list[AgentEvent] = []
    decided = await book.ask("aws__delete_stack", "delete stack", events.append)
    assert decided.status == "expired"
    assert events[-1].decision == "expired" and await book.pending() == []


def test_summary_is_short_and_names_the_arguments() -> None:
    summary = summarize_call("calendar__create_event", {"title": "Standup", "notes": "x" * 200})
    assert summary.startswith("calendar__create_event: title=Standup, notes=xxx")
    assert len(summary) <= 160
    assert summarize_call("github__get_me", {}) == "github__get_me"


async def test_two_approvers_at_once_decide_once(serve: Callable[[ASGIApp], str]) -> None:
    book = ApprovalBook(timeout_s=30)
    base = serve(approvals_app(book))
    events: list[AgentEvent] = []
    asking = asyncio.create_task(book.ask("github__merge_pull_request", "merge #7", events.append))
    await asyncio.sleep(0.05)
    async with httpx.AsyncClient(base_url=base) as client:
        [pending] = (await client.get("/v1/approvals")).json()["data"]
        clicks = [
            client.post(f"/v1/approvals/{pending['id']}", json={"decision": d, "by": by})
            for d, by in [("approve", "alice"), ("deny", "bob"), ("approve", "alice")] * 3
        ]
        answers = await asyncio.gather(*clicks)

    assert sorted(a.status_code for a in answers) == [200] + [409] * 8
    [winner] = [a.json() for a in answers if a.status_code == 200]
    assert (await asking).status == winner["status"]
    assert len([e for e in events if e.type == "approval_resolved"]) == 1


async def test_an_approval_whose_turn_is_gone_runs_its_call_once_through_resume(
    serve: Callable[[ASGIApp], str],
) -> None:
    book = ApprovalBook(timeout_s=30)
    resumed: list[Approval] = []

    async def resume(approval: Approval) -> ResumedCall:
        resumed.append(approval)
        return ResumedCall(is_error=False, said="Booked Retro for tomorrow at ten.")

    app = FastAPI()
    install_error_handlers(app)
    app.include_router(approvals_router(book, resume))
    base = serve(app)
    call = PendingCall(arguments={"summary": "Retro"}, origin={"guild_id": "7"})
    asking = asyncio.create_task(book.ask("calendar__create_event", "book", lambda e: None, call))
    await asyncio.sleep(0.05)
    asking.cancel()  # the bot's stream broke: nobody waits on this approval any more
    [pending] = await book.pending()
    async with httpx.AsyncClient(base_url=base) as client:
        clicks = [
            client.post(f"/v1/approvals/{pending.id}", json={"decision": "approve", "by": by})
            for by in ("alice", "bob", "carol")
        ]
        answers = await asyncio.gather(*clicks)

    [won] = [a.json() for a in answers if a.status_code == 200]
    assert won["resumed"] == {"is_error": False, "said": "Booked Retro for tomorrow at ten."}
    [ran] = resumed
    assert ran.call == call and ran.by == won["by"]


async def test_a_decision_for_a_waiting_turn_is_not_run_again_by_resume(
    serve: Callable[[ASGIApp], str],
) -> None:
    book = ApprovalBook(timeout_s=30)
    resumed: list[Approval] = []

    async def resume(approval: Approval) -> ResumedCall:
        resumed.append(approval)
        return ResumedCall(is_error=False, said="ran")

    app = FastAPI()
    install_error_handlers(app)
    app.include_router(approvals_router(book, resume))
    base = serve(app)
    call = PendingCall(arguments={})
    asking = asyncio.create_task(book.ask("aws__delete_stack", "delete", lambda e: None, call))
    await asyncio.sleep(0.05)
    [pending] = await book.pending()
    async with httpx.AsyncClient(base_url=base) as client:
        answer = await client.post(
            f"/v1/approvals/{pending.id}", json={"decision": "approve", "by": "alice"}
        )
    assert answer.json()["resumed"] is None and resumed == []
    assert (await asking).status == "approved"
