"""stt_service fuzzed from its OpenAPI schema (see `tests.fuzzing`), with the bundled Whisper:
half the generated uploads are replaced by real speech, so prompts, languages and formats reach
the model."""

from __future__ import annotations

from collections.abc import Callable

from schemathesis import Case, GenerationMode
from starlette.types import ASGIApp

from stt_service.app import create_app
from tests.fuzzing import fuzz_service, report_lines
from tests.stt_service.support import Speech, stt_settings
from voxhall.audio import resample, wav_bytes
from voxhall.launcher import wait_until_ready

API_KEY = "fuzz-key"


def test_fuzzed_requests_get_no_5xx_and_openai_errors(
    serve: Callable[[ASGIApp], str], speech: Speech
) -> None:
    url = wait_until_ready(serve(create_app(stt_settings(api_key=API_KEY))))
    # the first sentence only (about 2 s), to keep each transcription short
    first_sentence = speech.samples[: 2 * speech.sample_rate]
    clip = wav_bytes(resample(first_sentence, speech.sample_rate, 16_000), 16_000)

    def real_speech(case: Case, draw: bool) -> None:
        """Real speech in place of the generated `file`: in every case that negates a named
        other field (a prompt past its maxLength, say) and in half the valid ones, so each case
        stays as valid or invalid as it was generated."""
        if not (isinstance(case.body, dict) and isinstance(case.body.get("file"), str)):
            return
        meta = case.meta
        data = meta.phase.data if meta is not None else None
        negated = {getattr(data, "parameter", None)} | {
            mutation.parameter for mutation in getattr(data, "mutations", ())
        }
        negated.discard(None)
        positive = meta is None or meta.generation.mode is GenerationMode.POSITIVE
        if (negated and "file" not in negated) or (draw and positive):
            case.body["file"] = clip

    report = fuzz_service(url, API_KEY, prepare=real_speech)
    print("\n".join(report_lines(report)))
