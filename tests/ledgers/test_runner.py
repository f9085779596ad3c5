"""The runner on hand-made ledgers whose outcome is known, through the real pipeline core.

stt_service (Whisper tiny.en), llm_service's agent on the local SmolLM2 with canned tools,
and tts_service (Piper) are started on loopback by the session itself, as `voxhall ledger run`
does. The same ledgers are replayed twice: on the local backend, where each failing turn
fails exactly the check it was made for, and on a hosted backend whose API does not answer,
where every answered turn fails its stream check. Diff and parity then compare the two runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from bot.settings import BotSettings
from ledgers.cli import ledger_app
from ledgers.diff import diff_runs
from ledgers.format import LedgerError
from ledgers.generate import generate
from ledgers.parity import parity
from ledgers.results import TurnRecord
from ledgers.session import SessionOptions, replay_session
from ledgers.store import RunStore, StoredRun
from llm_service.settings import LlmSettings
from stack.settings import Settings
from tests.ledgers.support import header, turn, write_ledger
from tts_service.settings import TtsSettings
from voxhall.launcher import free_loopback_port
from voxhall.settings import CommonSettings, TelemetrySettings

pytestmark = pytest.mark.slow
CALENDAR = "Voxhall, what's on my calendar for the next few days?"
EVENTS = {
    "events": [
        {
            "id": "e1",
            "calendar_id": "work",
            "summary": "Design review",
            "start": "2026-12-02T14:00:00+00:00",
            "end": "2026-12-02T15:00:00+00:00",
        }
    ],
    "timezone": "UTC",
}
NOW = {
    "datetime": "2026-11-30T15:04:00+00:00",
    "timezone": "UTC",
    "utc_offset": "+0000",
    "weekday": "Monday",
}
SPEECH = {"voice": "piper"}


def write_ledgers(folder: Path) -> Path:
    """A passing ledger, and one whose every turn fails one check."""
    write_ledger(
        folder / "passing.jsonl",
        header("passing"),
        turn(
            1,
            CALENDAR,
            audio="audio/passing/1.flac",
            synth=SPEECH,
            expect={
                "asr": {"max_wer": 0.5},
                "tool_calls": [{"name": "calendar__list_events", "match": "subset"}],
                "reply": {"max_words": 200},
                "latency_ms": {"transcript": 60000, "first_token": 120000, "first_audio": 120000},
            },
            tool_results={"calendar__list_events": EVENTS},
        ),
        turn(
            2,
            "Voxhall, tell me a long story about the moon.",
            interrupt_after_ms=800,
            expect={"no_tool": True, "interrupted": True},
        ),
    )
    write_ledger(
        folder / "failing.jsonl",
        header("failing", people=2),
        turn(
            1,
            "Please order two pizzas for the team tonight.",
            audio="audio/failing/1.flac",
            synth={"voice": "piper", "text": "Did you see the game last night?"},
            expect={"asr": {"max_wer": 0.3}, "addressed": False},
        ),
        turn(
            2,
            CALENDAR,
            expect={"tool_calls": [{"name": "github__list_issues"}]},
            tool_results={"calendar__list_events": EVENTS},
        ),
        turn(
            3,
            "Voxhall, what time is it right now?",
            expect={"no_tool": True},
            tool_results={"calendar__get_current_time": NOW},
        ),
        turn(
            4,
            "Voxhall, say hello to everyone.",
            expect={"reply": {"must": ["zebra crossing 42"], "max_words": 1}},
        ),
        turn(5, "Voxhall, give me a fun fact.", expect={"latency_ms": {"first_token": 1}}),
        turn(6, "Did you see the game last night?", speaker="bob", pause_s=30),
        turn(7, "Voxhall, say goodbye.", expect={"addressed": False}),
        turn(8, "Voxhall, say hi.", interrupt_after_ms=600_000, expect={"interrupted": True}),
        turn(9, "Voxhall, are you there?", audio="audio/failing/broken.flac"),
    )
    (folder / "audio" / "failing").mkdir(parents=True)
    (folder / "audio" / "failing" / "broken.flac").write_bytes(b"this is not audio")
    generate([folder])
    return folder


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Own services (the bot's URLs answer nothing), a hosted API that refuses connections."""
    nowhere = f"http://127.0.0.1:{free_loopback_port()}"
    return Settings(
        common=CommonSettings(api_key=None, redis_url=f"redis://127.0.0.1:{free_loopback_port()}"),
        telemetry=TelemetrySettings(exporter="none"),
        tts=TtsSettings(alignment_cache_dir=tmp_path_factory.mktemp("aligned")),
        llm=LlmSettings(hosted_base_url=f"{nowhere}/v1", hosted_api_key="test-key", retries=0),
        bot=BotSettings(stt_url=nowhere, tts_url=nowhere, llm_url=nowhere),
    )


@pytest.fixture(scope="module")
def ledgers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_ledgers(tmp_path_factory.mktemp("ledgers"))


@pytest.fixture(scope="module")
def runs(
    ledgers: Path, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, StoredRun]]:
    options = SessionOptions(out_dir=tmp_path_factory.mktemp("runs"))
    stored = replay_session([ledgers], ["local", "hosted"], options, Console(), settings)
    yield dict(stored)


def failing_checks(run: StoredRun, ledger: str) -> dict[int, list[str]]:
    return {
        record.turn: [failure.check for failure in record.failures]
        for record in run.records
        if record.ledger == ledger
    }


def find(run: StoredRun, ledger: str, number: int) -> TurnRecord:
    return next(r for r in run.records if r.ledger == ledger and r.turn == number)


def test_the_passing_ledger_passes_through_every_stage(runs: dict[str, StoredRun]) -> None:
    local = runs["local"]
    calendar = find(local, "passing", 1)
    story = find(local, "passing", 2)

    assert failing_checks(local, "passing") == {1: [], 2: []}
    outcome = calendar.outcome
    assert outcome.asr is not None and outcome.asr.wer is not None and outcome.asr.wer <= 0.5
    assert [call.name for call in outcome.tool_calls] == ["calendar__list_events"]
    assert outcome.tool_calls[0].result and "Design review" in outcome.tool_calls[0].result
    assert outcome.stream and outcome.stream.finished and outcome.stream.audio_bytes > 0
    latency = outcome.latency_ms
    assert latency.transcript and latency.first_token and latency.first_audio
    assert 0 < latency.transcript < latency.first_token < latency.first_audio
    assert story.outcome.interrupted and story.outcome.unheard
    assert find(local, "failing", 4).outcome.backend == "local"


def test_each_failing_turn_fails_the_check_it_was_made_for(runs: dict[str, StoredRun]) -> None:
    assert failing_checks(runs["local"], "failing") == {
        1: ["asr"],
        2: ["tool_calls"],
        3: ["tool_calls"],
        4: ["reply", "reply"],
        5: ["latency"],
        6: ["addressed"],
        7: ["addressed"],
        8: ["interrupted"],
        9: ["replay"],
    }


def test_failures_say_what_went_wrong(runs: dict[str, StoredRun]) -> None:
    local = runs["local"]

    def message(number: int) -> str:
        return find(local, "failing", number).failures[0].message

    assert message(1).startswith("WER ")
    assert message(2).startswith(
        "diverged at call 1: expected github__list_issues({}) (exact), got calendar__list_events"
    )
    assert message(3) == "diverged at call 1: unexpected calendar__get_current_time({})"
    assert message(4).startswith("reply lacks /zebra crossing 42/")
    assert message(5).startswith("first_token took ")
    assert (
        message(6)
        == "the bot ignored a turn addressed to it (heard 'Did you see the game last night?')"
    )
    assert message(7).startswith("the bot answered a turn not meant for it")
    assert message(9).startswith("AudioError: ")


def test_an_unanswering_backend_fails_the_stream_check(runs: dict[str, StoredRun]) -> None:
    hosted = runs["hosted"]
    calendar = find(hosted, "passing", 1)

    assert "stream" in [failure.check for failure in calendar.failures]
    assert calendar.outcome.stream and calendar.outcome.stream.errors
    assert failing_checks(hosted, "failing")[6] == ["addressed"]


def test_runs_are_kept_with_manifest_results_reports_and_index(
    runs: dict[str, StoredRun],
) -> None:
    local = runs["local"]
    manifest = json.loads((local.path / "manifest.json").read_text())

    assert manifest["backend"] == "local" and not manifest["live_tools"]
    assert manifest["models"]["llm_backends"] == ["hosted", "local"]
    assert manifest["models"]["stt"] and manifest["models"]["tts_voice"] == "en_US-joe-medium"
    assert manifest["totals"] == {"turns": 11, "passed": 2, "failed": 9}
    assert {entry["id"] for entry in manifest["ledgers"]} == {"passing", "failing"}
    assert len((local.path / "results.jsonl").read_text().splitlines()) == 11
    assert (local.path / "report.md").is_file() and (local.path / "report.xml").is_file()
    assert [row["run_id"] for row in RunStore(local.path.parent).runs()] == [
        runs["hosted"].run_id,
        local.run_id,
    ]


def test_diff_and_parity_on_the_two_recorded_runs(runs: dict[str, StoredRun]) -> None:
    compared = diff_runs(runs["local"], runs["hosted"])
    agreement = parity({"local": runs["local"], "hosted": runs["hosted"]})

    regressed = {change.label for change in compared.of_kind("REGRESSED")}
    assert regressed == {"passing#1", "passing#2"}
    [pair] = agreement.pairs
    assert pair.turns == 11 and pair.same_answering == 1.0 and pair.same_tools < 1.0
    assert not next(row for row in agreement.rows if row.label == "passing#1").agreed


def test_a_malformed_ledger_stops_the_run_naming_the_line(
    tmp_path: Path, settings: Settings
) -> None:
    write_ledger(tmp_path / "bad.jsonl", header("bad"), turn(1, "hi", expect={"reply": "short"}))
    write_ledger(tmp_path / "mute.jsonl", header("mute"), turn(1, "hi", audio="none.flac"))
    options = SessionOptions(out_dir=tmp_path / "runs")

    with pytest.raises(LedgerError) as raised:
        replay_session([tmp_path], ["local"], options, Console(), settings)

    assert str(raised.value).splitlines() == [
        f"{tmp_path / 'bad.jsonl'}:2: expect.reply: 'short' is not of type 'object'",
        f"{tmp_path / 'mute.jsonl'}:2: audio: file not found: {tmp_path / 'none.flac'}",
    ]
    assert not (tmp_path / "runs").exists()


def test_the_command_exits_2_with_the_problem(tmp_path: Path) -> None:
    write_ledger(tmp_path / "bad.jsonl", header("bad"), "{oops")

    result = CliRunner().invoke(ledger_app, ["run", str(tmp_path), "--out", str(tmp_path)])

    assert result.exit_code == 2
    assert f"{tmp_path / 'bad.jsonl'}:2: not valid JSON" in " ".join(result.output.split())
