"""The ledger format: what loads, and the clear errors (file, line, field) for what does not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledgers.format import (
    SCHEMA_PATH,
    LedgerError,
    Turn,
    ledger_schema,
    load_ledger,
    load_ledgers,
    write_ledger,
)
from tests.ledgers.support import header, turn
from tests.ledgers.support import write_ledger as write_lines

CASES = Path(__file__).parents[2] / "ledgers" / "cases"


def problems(path: Path) -> list[str]:
    with pytest.raises(LedgerError) as raised:
        load_ledger(path)
    return str(raised.value).splitlines()


def test_a_well_formed_ledger_loads_with_its_turns_lines_and_audio_paths(tmp_path: Path) -> None:
    (tmp_path / "audio").mkdir()
    (tmp_path / "audio" / "1.flac").write_bytes(b"fLaC")
    path = write_lines(
        tmp_path / "calendar.jsonl",
        header("calendar", notes="two speakers"),
        "",
        turn(
            1,
            "Voxhall, what's on my calendar?",
            audio="audio/1.flac",
            expect={
                "asr": {"max_wer": 0.3},
                "tool_calls": [{"name": "calendar__list_events", "match": "subset"}],
                "reply": {"must": ["standup"], "max_words": 60},
                "latency_ms": {"first_audio": 9000},
            },
            tool_results={"calendar__list_events": {"events": [], "timezone": "UTC"}},
        ),
        turn(2, "Did you see the game?", speaker="bob", expect={"addressed": False}),
    )

    ledger = load_ledger(path)

    assert ledger.id == "calendar" and ledger.header.notes == "two speakers"
    assert [t.turn for t in ledger.turns] == [1, 2] and ledger.lines == [3, 4]
    assert ledger.audio_path(ledger.turns[0]) == tmp_path / "audio" / "1.flac"
    assert ledger.audio_path(ledger.turns[1]) is None
    assert ledger.people_present() == 2
    assert ledger.turns[1].expect.addressed is False and ledger.turns[0].approve is True


def test_each_malformed_line_is_named_with_its_field(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "broken.jsonl",
        header(),
        turn(1, "hi", expect={"tool_calls": [{"name": "calendarlist_events"}]}),
        turn(2, "hi", expect={"toolcalls": []}),
        turn(3, "hi", expect={"reply": {"must": ["("]}}),
        "{not json",
        "[1, 2]",
        turn(9, "hi"),
    )

    assert problems(path) == [
        f"{path}:2: expect.tool_calls[0].name: 'calendarlist_events' does not match "
        "'^[A-Za-z0-9-]{1,32}__[A-Za-z0-9_-]{1,64}$'",
        f"{path}:3: expect: Additional properties are not allowed ('toolcalls' was unexpected)",
        f"{path}:4: expect.reply.must[0]: '(' is not a 'regex'",
        f"{path}:5: not valid JSON: Expecting property name enclosed in double quotes (column 2)",
        f"{path}:6: a turn must be a JSON object",
        f"{path}:7: turn: is 9, expected 6 (turns count 1, 2, 3, ...)",
    ]


def test_the_header_must_say_consent_and_name_the_format(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "x.jsonl", header(consent=False, ledger=2), turn(1, "hi"))

    [problem] = problems(path)

    assert problem.startswith(f"{path}:1: header ")
    assert "consent" in problem or "ledger" in problem


@pytest.mark.parametrize(
    ("expect", "complaint"),
    [
        ({"no_tool": True, "tool_calls": [{"name": "github__get_me"}]}, "contradict"),
        ({"addressed": False, "reply": {"max_words": 3}}, "must ignore"),
        ({"asr": {"max_wer": 0.2}}, "need `audio`"),
        ({"interrupted": True}, "needs interrupt_after_ms"),
        (
            {
                "tool_calls": [
                    {"name": "github__get_issue", "arguments": {"title": {"$regex": "["}}}
                ]
            },
            "invalid regular expression",
        ),
    ],
)
def test_expectations_that_cannot_hold_together_are_refused(
    tmp_path: Path, expect: dict[str, object], complaint: str
) -> None:
    path = write_lines(tmp_path / "x.jsonl", header(), turn(1, "Voxhall, hi", expect=expect))

    [problem] = problems(path)

    assert problem.startswith(f"{path}:2: ") and complaint in problem


def test_a_missing_audio_file_is_named_with_its_line(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "x.jsonl", header(), turn(1, "hi"), turn(2, "hello", audio="gone/2.flac")
    )

    assert problems(path) == [f"{path}:3: audio: file not found: {tmp_path / 'gone' / '2.flac'}"]
    assert load_ledger(path, check_audio=False).turns[1].audio == "gone/2.flac"


def test_empty_files_and_headers_without_turns_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    lonely = write_lines(tmp_path / "lonely.jsonl", header())

    assert problems(empty) == [f"{empty}:1: the file is empty; line 1 must be the header"]
    assert problems(lonely) == [f"{lonely}: the ledger has no turns (each line after line 1)"]


def test_folders_are_searched_and_ids_must_be_unique_across_files(tmp_path: Path) -> None:
    write_lines(tmp_path / "a.jsonl", header("same"), turn(1, "hi"))
    write_lines(tmp_path / "nested" / "b.jsonl", header("same"), turn(1, "hi"))

    with pytest.raises(LedgerError) as raised:
        load_ledgers([tmp_path])
    with pytest.raises(LedgerError, match="no such file or folder"):
        load_ledgers([tmp_path / "missing"])

    assert str(raised.value) == (
        f"{tmp_path / 'nested' / 'b.jsonl'}:1: id 'same' is already used by {tmp_path / 'a.jsonl'}"
    )


def test_a_written_ledger_reads_back_the_same(tmp_path: Path) -> None:
    source = write_lines(
        tmp_path / "a.jsonl",
        header("roundtrip", wake_names=["voxhall", "computer"]),
        turn(1, "Computer, hi", approve=False, expect={"no_tool": True}),
    )
    ledger = load_ledger(source)
    copy = tmp_path / "b.jsonl"

    write_ledger(copy, ledger.header, ledger.turns)

    again = load_ledger(copy)
    assert again.header == ledger.header and again.turns == ledger.turns
    assert '"approve": false' in copy.read_text() and '"pause_s"' not in copy.read_text()


def test_the_shipped_json_schema_is_the_one_the_models_describe() -> None:
    shipped = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))

    assert shipped == ledger_schema(), (
        "ledgers/ledger.schema.json is stale: run `voxhall ledger schema > "
        "ledgers/ledger.schema.json`"
    )
    assert set(shipped["$defs"]) >= {"Header", "Turn", "Expect", "ExpectedCall"}


def test_every_shipped_case_loads_and_the_set_covers_the_issue() -> None:
    ledgers = load_ledgers([CASES])
    turns = [t for ledger in ledgers for t in ledger.turns]
    calls = {c.name for t in turns for c in t.expect.tool_calls or []}

    assert len(ledgers) >= 20
    assert {name.split("__")[0] for name in calls} == {"github", "calendar", "monday", "aws"}
    assert any(c.approval == "approved" for t in turns for c in t.expect.tool_calls or [])
    assert any(c.approval == "denied" for t in turns for c in t.expect.tool_calls or [])
    assert any(t.interrupt_after_ms for t in turns)
    assert any(not t.expect.addressed and t.transcript for t in turns)
    sources = {t.synth.source for t in turns if t.synth}
    assert sources == {"speech", "silence", "noise"}
    assert all(isinstance(t, Turn) for t in turns)
