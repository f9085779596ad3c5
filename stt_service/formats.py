"""Renders a `Transcription` in each of OpenAI's response formats.

`json` and `verbose_json` are JSON objects shaped like OpenAI's (`verbose_json` lists segments
and/or words as `timestamp_granularities[]` asks); `text`, `srt` and `vtt` are `text/plain`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any, Literal

from fastapi.responses import JSONResponse, PlainTextResponse, Response

from stt_service.schemas import Transcription

ResponseFormat = Literal["json", "text", "srt", "verbose_json", "vtt"]
Granularity = Literal["segment", "word"]


def _usage(transcription: Transcription) -> dict[str, Any]:
    return {"type": "duration", "seconds": math.ceil(transcription.duration)}


def json_body(transcription: Transcription) -> dict[str, Any]:
    """The `json` format: the text and the billed duration."""
    return {"text": transcription.text, "usage": _usage(transcription)}


def verbose_body(
    transcription: Transcription, granularities: Sequence[Granularity]
) -> dict[str, Any]:
    """The `verbose_json` format; segments by default, words when asked for."""
    body: dict[str, Any] = {
        "task": "transcribe",
        "language": transcription.language,
        "duration": transcription.duration,
        "text": transcription.text,
    }
    if "segment" in granularities or not granularities:
        body["segments"] = [segment.model_dump() for segment in transcription.segments]
    if "word" in granularities:
        body["words"] = [word.model_dump() for word in transcription.words]
    return body | {"usage": _usage(transcription)}


def _timestamp(seconds: float, decimal_marker: str) -> str:
    milliseconds = round(seconds * 1000)
    hours, milliseconds = divmod(milliseconds, 3_600_000)
    minutes, milliseconds = divmod(milliseconds, 60_000)
    whole, milliseconds = divmod(milliseconds, 1000)
    return f"{hours:02d}:{minutes:02d}:{whole:02d}{decimal_marker}{milliseconds:03d}"


def _cues(transcription: Transcription) -> Iterator[tuple[float, float, str]]:
    if transcription.segments:
        for segment in transcription.segments:
            yield segment.start, segment.end, segment.text.strip()
    elif transcription.text:
        yield 0.0, transcription.duration, transcription.text


def srt_text(transcription: Transcription) -> str:
    """SubRip subtitles, one cue per segment."""
    return "".join(
        f"{index}\n{_timestamp(start, ',')} --> {_timestamp(end, ',')}\n{text}\n\n"
        for index, (start, end, text) in enumerate(_cues(transcription), start=1)
    )


def vtt_text(transcription: Transcription) -> str:
    """WebVTT subtitles, one cue per segment."""
    cues = "".join(
        f"{_timestamp(start, '.')} --> {_timestamp(end, '.')}\n{text}\n\n"
        for start, end, text in _cues(transcription)
    )
    return f"WEBVTT\n\n{cues}"


def render(
    transcription: Transcription,
    response_format: ResponseFormat,
    granularities: Sequence[Granularity] = (),
) -> Response:
    """The HTTP response for `response_format`."""
    if response_format == "json":
        return JSONResponse(json_body(transcription))
    if response_format == "verbose_json":
        return JSONResponse(verbose_body(transcription, granularities))
    if response_format == "srt":
        return PlainTextResponse(srt_text(transcription))
    if response_format == "vtt":
        return PlainTextResponse(vtt_text(transcription))
    return PlainTextResponse(f"{transcription.text}\n")
