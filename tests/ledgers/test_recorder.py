"""Recording consented turns as a ledger, scrubbed, and accepting the recording as a case."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.conversation.activity import ToolActivity, ToolCallRecord
from bot.conversation.pipeline import SpokenSentence, TurnRequest, TurnResult
from bot.conversation.segmenter import Utterance
from ledgers.accept import accept_recording
from ledgers.format import load_ledger
from ledgers.generate import piper_speech
from ledgers.recorder import LedgerRecorder
from voxhall.audio import WHISPER_RATE, decode_audio, to_discord_pcm
from voxhall.frames import BYTES_PER_SECOND

SAID = "Voxhall, mail ann@example.com and call 555-123-4567 about the launch."
TOKEN = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4"
ISSUE = {"number": 61, "title": "Launch checklist", "state": "open"}


@pytest.fixture(scope="module")
def speech() -> bytes:
    return to_discord_pcm(piper_speech("About the launch.", 1.0), WHISPER_RATE)


def utterance(pcm: bytes, at: float) -> Utterance:
    return Utterance("u1", pcm, start=at, end=at + 2, speech_start=at)


def a_result(text: str, at: float, thread: str = "g:c", **fields: object) -> TurnResult:
    request = TurnRequest(thread, "u1", "Ann", text, end_of_speech=at, transcribed_at=at + 0.4)
    return TurnResult(
        request,
        started_at=at + 0.4,
        first_token_at=at + 1.0,
        first_audio_at=at + 1.5,
        reply_complete_at=at + 2.0,
        finished_at=at + 6.0,
        backend="local",
        **fields,  # type: ignore[arg-type]
    )


@pytest.fixture
def recording(tmp_path: Path, speech: bytes) -> Path:
    recorder = LedgerRecorder(
        tmp_path / "recordings",
        ["voxhall"],
        now=lambda: datetime(2026, 11, 30, 15, 0, tzinfo=UTC),
    )
    created = ToolCallRecord(
        "github__create_issue",
        {"title": "Launch", "body": f"ask ann@example.com, token {TOKEN}"},
        approval="approved",
        is_error=False,
        result=json.dumps(ISSUE),
    )
    listed = ToolCallRecord(
        "github__list_issues", {}, is_error=False, result='{"issues": [{"number": 1, "tit'
    )
    first = a_result(
        SAID,
        100.0,
        reply=f"Done, I used {TOKEN}.",
        activity=ToolActivity(calls=[created, listed]),
    )
    denied = ToolCallRecord("calendar__delete_event", {"event_id": "e1"}, approval="denied")
    cut = a_result(
        "Voxhall, delete the launch event and tell me a story.",
        110.0,
        reply="I did not delete it. Once upon a time",
        interrupted=True,
        spoken=[SpokenSentence("I did not delete it.", audio_end=BYTES_PER_SECOND, complete=True)],
        heard=["I did not delete it."],
        unheard=["Once upon a time"],
        activity=ToolActivity(calls=[denied]),
    )
    recorder.record(utterance(speech, 100.0), first)
    recorder.record(utterance(speech, 110.0), cut)
    return recorder.conversations["g:c"].path


def test_the_recording_is_a_valid_ledger_with_its_audio(recording: Path) -> None:
    ledger = load_ledger(recording)

    assert recording.name == "20261130-150000-g-c.jsonl"
    assert ledger.header.wake_names == ["voxhall"] and ledger.header.people is None
    assert [turn.speaker for turn in ledger.turns] == ["Ann", "Ann"]
    audio = ledger.audio_path(ledger.turns[0])
    assert audio is not None and audio.suffix == ".flac"
    assert decode_audio(audio.read_bytes()).size > 0.5 * WHISPER_RATE


def test_text_is_scrubbed_of_emails_phone_numbers_and_tokens(recording: Path) -> None:
    text = recording.read_text()

    assert "ann@example.com" not in text and "555-123-4567" not in text and TOKEN not in text
    first = load_ledger(recording).turns[0]
    assert first.transcript == "Voxhall, mail [redacted] and call [redacted] about the launch."
    assert first.recorded is not None
    assert first.recorded.tool_calls[0].arguments["body"] == "ask [redacted], token [redacted]"


def test_what_happened_is_kept_for_the_replay(recording: Path) -> None:
    first, second = load_ledger(recording).turns

    assert first.recorded is not None and second.recorded is not None
    assert first.recorded.latency_ms.first_audio == 1500.0 and first.recorded.backend == "local"
    assert first.approve and not second.approve
    assert second.pause_s == 4.0
    assert second.interrupt_after_ms == 1250
    assert second.recorded.interrupted and second.recorded.unheard == ["Once upon a time"]


def test_accepting_makes_a_case_with_expectations_from_what_happened(
    recording: Path, tmp_path: Path
) -> None:
    case = accept_recording(recording, tmp_path / "cases" / "launch.jsonl", "launch")

    ledger = load_ledger(case)
    first, second = ledger.turns
    assert ledger.id == "launch" and {t.speaker for t in ledger.turns} == {"speaker-1"}
    assert first.audio == "audio/launch/1.flac" and (case.parent / first.audio).is_file()
    assert first.recorded is None and first.expect.asr is not None
    assert [(c.name, c.match, c.approval) for c in first.expect.tool_calls or []] == [
        ("github__create_issue", "subset", "approved"),
        ("github__list_issues", "subset", None),
    ]
    assert first.tool_results == {"github__create_issue": ISSUE}
    assert first.expect.latency_ms is not None and first.expect.latency_ms.first_audio == 5000
    assert second.expect.interrupted and not second.approve
    assert "turn 1: github__list_issues" in ledger.header.notes


def test_accepting_never_overwrites_a_case(recording: Path, tmp_path: Path) -> None:
    target = tmp_path / "launch.jsonl"
    accept_recording(recording, target)

    with pytest.raises(FileExistsError, match="already exists"):
        accept_recording(recording, target)


def test_each_channel_and_each_conversation_after_a_long_quiet_gets_its_own_ledger(
    tmp_path: Path, speech: bytes
) -> None:
    stamps = iter(datetime(2026, 11, 30, hour, tzinfo=UTC) for hour in (9, 10, 11))
    recorder = LedgerRecorder(tmp_path, now=lambda: next(stamps))

    recorder.record(utterance(speech, 0.0), a_result("Voxhall, hi", 0.0))
    recorder.record(utterance(speech, 0.0), a_result("Voxhall, hi", 0.0, thread="g:other"))
    recorder.record(utterance(speech, 20.0), a_result("Voxhall, again", 20.0))
    recorder.record(utterance(speech, 4000.0), a_result("Voxhall, later", 4000.0))

    files = sorted(path.name for path in tmp_path.glob("*.jsonl"))
    assert files == [
        "20261130-090000-g-c.jsonl",
        "20261130-100000-g-other.jsonl",
        "20261130-110000-g-c.jsonl",
    ]
    assert len(load_ledger(tmp_path / files[0]).turns) == 2
