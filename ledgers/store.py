"""Runs kept on disk, and the index across them.

Each run is a folder `DIR/<run-id>/` with `manifest.json` (when and how it ran: git revision,
models, backend, a hash of the settings, the ledgers and their checksums, the totals),
`results.jsonl` (one `TurnRecord` per line, appended as turns finish, so an aborted run keeps
what it did) and the reports written at the end. `DIR/index.sqlite` (stdlib sqlite3) lists
every finished run and every turn's verdict and key metrics, so runs can be found by id,
unique id prefix, `latest` or `previous`, and a turn's history queried across runs:

    SELECT run_id, passed, wer, first_audio_ms FROM turns WHERE ledger = ? AND turn = ?
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from ledgers.format import Ledger
from ledgers.results import TurnRecord, read_records

MANIFEST = "manifest.json"
RESULTS = "results.jsonl"
INDEX = "index.sqlite"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, started TEXT NOT NULL, finished TEXT, backend TEXT NOT NULL,
    live_tools INTEGER NOT NULL, git_revision TEXT, settings_hash TEXT NOT NULL,
    turns INTEGER NOT NULL, passed INTEGER NOT NULL, failed INTEGER NOT NULL, path TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS turns (
    run_id TEXT NOT NULL REFERENCES runs(run_id), ledger TEXT NOT NULL, turn INTEGER NOT NULL,
    passed INTEGER NOT NULL, checks TEXT NOT NULL, wer REAL, first_token_ms REAL,
    first_audio_ms REAL, tool_calls TEXT NOT NULL, PRIMARY KEY (run_id, ledger, turn)
);
"""


class RunNotFoundError(LookupError):
    """No run answers to the reference given."""


class GitState(BaseModel):
    revision: str | None = None
    dirty: bool | None = None

    @classmethod
    def here(cls) -> GitState:
        """The working tree's revision and whether tracked files changed (None: no git)."""
        try:
            revision = _git("rev-parse", "HEAD")
            dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
        except (OSError, subprocess.CalledProcessError):
            return cls()
        return cls(revision=revision, dirty=dirty)


def _git(*args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(PROJECT_ROOT), *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


class LedgerEntry(BaseModel):
    """A ledger a run replayed, with the checksum of the file as it was."""

    id: str
    path: str
    sha256: str
    turns: int

    @classmethod
    def of(cls, ledger: Ledger) -> LedgerEntry:
        digest = hashlib.sha256(ledger.path.read_bytes()).hexdigest()
        return cls(id=ledger.id, path=str(ledger.path), sha256=digest, turns=len(ledger.turns))


class Totals(BaseModel):
    turns: int = 0
    passed: int = 0
    failed: int = 0


class Manifest(BaseModel):
    """How a run ran; written when it starts and completed when it ends."""

    run_id: str
    started: datetime
    finished: datetime | None = None
    backend: str
    live_tools: bool
    git: GitState = Field(default_factory=GitState)
    models: dict[str, Any] = Field(default_factory=dict)
    settings_hash: str
    options: dict[str, Any] = Field(default_factory=dict)
    ledgers: list[LedgerEntry] = Field(default_factory=list)
    totals: Totals = Field(default_factory=Totals)
    command: list[str] = Field(default_factory=list)


def new_run_id(backend: str) -> str:
    """`20261130-141502-local-3fa9c1`: sortable, readable, unique."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{backend}-{secrets.token_hex(3)}"


def settings_hash(*parts: Any) -> str:
    """A short hash of everything that shapes a run's answers (secrets arrive masked)."""
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class StoredRun:
    """A run read back: its folder, manifest and turn records."""

    path: Path
    manifest: Manifest
    records: list[TurnRecord]

    @property
    def run_id(self) -> str:
        return self.manifest.run_id

    @classmethod
    def read(cls, path: Path) -> StoredRun:
        manifest = Manifest.model_validate_json((path / MANIFEST).read_text(encoding="utf-8"))
        results = path / RESULTS
        records = read_records(results) if results.is_file() else []
        return cls(path, manifest, records)


class RunWriter:
    """Keeps one run as it happens: records appended, the manifest completed at the end."""

    def __init__(self, store: RunStore, manifest: Manifest) -> None:
        self.store = store
        self.manifest = manifest
        self.path = store.root / manifest.run_id
        self.path.mkdir(parents=True)
        self.records: list[TurnRecord] = []
        self._write_manifest()

    def _write_manifest(self) -> None:
        text = self.manifest.model_dump_json(indent=2)
        (self.path / MANIFEST).write_text(text + "\n", encoding="utf-8")

    def add(self, record: TurnRecord) -> None:
        self.records.append(record)
        with (self.path / RESULTS).open("a", encoding="utf-8") as results:
            results.write(record.model_dump_json() + "\n")

    def finish(self) -> StoredRun:
        passed = sum(record.passed for record in self.records)
        self.manifest.totals = Totals(
            turns=len(self.records), passed=passed, failed=len(self.records) - passed
        )
        self.manifest.finished = datetime.now(UTC)
        self._write_manifest()
        run = StoredRun(self.path, self.manifest, self.records)
        self.store.index(run)
        return run


class RunStore:
    """The runs under one folder and their SQLite index."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @contextmanager
    def _index(self) -> Iterator[sqlite3.Connection]:
        self.root.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.root / INDEX)) as connection, connection:
            connection.executescript(SCHEMA)
            yield connection

    def start(self, manifest: Manifest) -> RunWriter:
        return RunWriter(self, manifest)

    def index(self, run: StoredRun) -> None:
        """Add a finished run and its turns to the index (again: replaced)."""
        manifest = run.manifest
        with self._index() as db:
            db.execute("DELETE FROM turns WHERE run_id = ?", (run.run_id,))
            db.execute(
                "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run.run_id,
                    manifest.started.isoformat(),
                    manifest.finished.isoformat() if manifest.finished else None,
                    manifest.backend,
                    int(manifest.live_tools),
                    manifest.git.revision,
                    manifest.settings_hash,
                    manifest.totals.turns,
                    manifest.totals.passed,
                    manifest.totals.failed,
                    str(run.path),
                ),
            )
            db.executemany(
                "INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [_turn_row(run.run_id, record) for record in run.records],
            )

    def runs(self, limit: int = 20) -> list[sqlite3.Row]:
        """The latest finished runs, newest first."""
        with self._index() as db:
            db.row_factory = sqlite3.Row
            query = "SELECT * FROM runs ORDER BY started DESC, run_id DESC LIMIT ?"
            return list(db.execute(query, (limit,)))

    def open(self, reference: str) -> StoredRun:
        """A run by folder path, id, unique id prefix, `latest` or `previous`."""
        as_path = Path(reference)
        if (as_path / MANIFEST).is_file():
            return StoredRun.read(as_path)
        if (self.root / reference / MANIFEST).is_file():
            return StoredRun.read(self.root / reference)
        return StoredRun.read(self.root / self._lookup(reference))

    def _lookup(self, reference: str) -> str:
        """The id of the run `reference` names in the index."""
        if reference in ("latest", "previous"):
            rows = self.runs(limit=2)
            position = 0 if reference == "latest" else 1
            if len(rows) <= position:
                raise RunNotFoundError(f"no {reference} run in {self.root / INDEX}")
            return str(rows[position]["run_id"])
        with self._index() as db:
            query = "SELECT run_id FROM runs WHERE run_id LIKE ? ESCAPE '\\'"
            pattern = reference.replace("%", "\\%").replace("_", "\\_") + "%"
            rows = list(db.execute(query, (pattern,)))
        if len(rows) != 1:
            found = "no run" if not rows else f"{len(rows)} runs"
            raise RunNotFoundError(f"{found} in {self.root} matches {reference!r}")
        return str(rows[0][0])


def _turn_row(run_id: str, record: TurnRecord) -> tuple[Any, ...]:
    outcome = record.outcome
    return (
        run_id,
        record.ledger,
        record.turn,
        int(record.passed),
        ",".join(sorted({failure.check for failure in record.failures})),
        outcome.asr.wer if outcome.asr else None,
        outcome.latency_ms.first_token,
        outcome.latency_ms.first_audio,
        json.dumps([call.name for call in outcome.tool_calls]),
    )
