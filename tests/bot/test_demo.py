"""`voxhall demo` on a fresh machine: real services on loopback, real models, real speech."""

import json
from pathlib import Path

from typer.testing import CliRunner

from voxhall.cli import app


def test_demo_round_trips_speech_and_holds_a_spoken_chat(tmp_path: Path) -> None:
    out = tmp_path / "demo-out"
    result = CliRunner().invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    round_trips = report["round_trips"]
    assert len(round_trips) >= 6
    assert report["corpus_wer"] <= 0.25
    for round_trip in round_trips:
        assert (out / round_trip["audio_file"]).stat().st_size > 10_000
        assert 0 < round_trip["tts_first_byte_s"] <= round_trip["tts_total_s"]
        assert round_trip["stt_s"] > 0
    assert "Corpus word error rate" in result.output
    for turn in report["chat"]:
        assert turn["heard"] and turn["answer"]
        assert turn["backend"] == "local"
        assert 0 < turn["transcript_s"] < turn["first_token_s"] < turn["first_audio_s"]
        assert (out / turn["audio_file"]).stat().st_size > 10_000
