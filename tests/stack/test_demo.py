"""`voxhall demo` on a fresh machine: the whole voice loop on real models and sample speech.

Two people's bundled speech plays in real time through the conversation core, the real
services and the agent on the local model over the calendar server. The local model's words
vary, so this checks what the loop did: who was answered, the tools and the approval, the
interruption, the timings, the clips and the files, not what the model said.
"""

import json
from pathlib import Path
from typing import Any

import av
import icalendar
from typer.testing import CliRunner

from stack.cli import app


def test_the_demo_runs_the_whole_voice_loop(tmp_path: Path) -> None:
    out = tmp_path / "demo-out"
    result = CliRunner().invoke(app, ["demo", "--yes", "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())

    addressed = [(entry["speaker"], entry["for_the_bot"]) for entry in report["heard"]]
    assert addressed == [
        ("alice", "wake_name"),
        ("bob", None),
        ("alice", "wake_name"),
        ("bob", "wake_name"),
        ("alice", None),
        ("alice", "wake_name"),
    ], "chatter and the interruption are not for the bot"
    assert report["corpus_wer"] <= 0.2

    asked, booked, story, goodbye = report["turns"]
    assert [call["name"] for call in asked["tool_calls"]] == ["calendar__list_events"]
    assert "Design review" in asked["reply"] and "Budget call" in asked["reply"]
    [booking] = booked["tool_calls"]
    assert booking == {"name": "calendar__create_event", "approval": "approved", "is_error": False}
    assert story["interrupted"] and story["unheard"]
    assert not goodbye["interrupted"] and goodbye["tool_calls"] == []
    for turn in (asked, booked, goodbye):
        assert_heard_in_order(turn)

    calendar = icalendar.Calendar.from_ical((out / "calendar.ics").read_bytes())
    summaries = [str(event["SUMMARY"]) for event in calendar.walk("VEVENT")]
    assert len(summaries) == 3 and "Sarah" in summaries[-1]

    assert len(report["clips"]) == 3, "a clip of each answer heard in full"
    with av.open(str(out / report["clips"][0])) as clip:
        assert clip.streams.video[0].codec_context.name == "h264"
        assert clip.streams.audio[0].codec_context.name == "aac"
    assert (out / "voxhall-voice.wav").stat().st_size > 100_000
    assert "Voxhall" in (out / "transcript.md").read_text()
    assert "First audio after the end of speech, per reply" in result.output
    assert "for me (wake_name)" in result.output and "first audio" in result.output


def test_the_demo_runs_over_discord_through_the_real_bot(tmp_path: Path) -> None:
    """`voxhall demo --discord --yes`: the lines go through the real bot and the stand-in."""
    out = tmp_path / "demo-discord"
    result = CliRunner().invoke(app, ["demo", "--discord", "--yes", "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())

    speakers = {entry["speaker"] for entry in report["heard"]}
    assert speakers == {"alice", "bob"}, report["heard"]
    assert any(entry["for_the_bot"] == "wake_name" for entry in report["heard"])
    calls = [call for turn in report["turns"] for call in turn["tool_calls"]]
    booking = {"name": "calendar__create_event", "approval": "approved", "is_error": False}
    assert booking in calls, "the booking, approved by Alice's click"
    answered = [turn for turn in report["turns"] if turn["reply"] and not turn["interrupted"]]
    assert len(answered) >= 2, report["turns"]
    for turn in answered:
        assert_heard_in_order(turn)
    assert report["clips"] and all((out / clip).stat().st_size > 0 for clip in report["clips"])
    assert report["messages"], "the replies the bot posted in the text channel"
    assert (out / "voxhall-voice.wav").stat().st_size > 100_000
    assert "Voxhall" in (out / "transcript.md").read_text()
    assert "First audio after the end of speech, per reply" in result.output


def assert_heard_in_order(turn: dict[str, Any]) -> None:
    """The transcript before the answer, its first token before its first audio, but where a
    slow tool's acknowledgement ("one moment") was said before the answer began."""
    assert 0 < turn["transcript_s"] < min(turn["first_token_s"], turn["first_audio_s"])
    if not turn["acknowledged"]:
        assert turn["first_token_s"] <= turn["first_audio_s"]
