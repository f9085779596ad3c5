"""`voxhall demo`: the voice loop on bundled models and sample speech, no accounts needed.

It starts tts_service, stt_service and llm_service on loopback inside this process. First it
speaks each sample sentence with the bundled Piper voice and transcribes it back with Whisper,
printing every round trip with its timings and word error rate. Then it holds a short spoken
chat: each question is spoken, transcribed, answered by the local model through llm_service
and the answer spoken back, with the time from the end of the question to its transcript, the
first token and the first audio. Audio and a JSON report go to the output folder.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from llm_service.app import create_app as create_llm_app
from llm_service.client import LlmClient
from stt_service.app import create_app as create_stt_app
from stt_service.client import SttClient
from tts_service.app import create_app as create_tts_app
from tts_service.client import TtsClient
from voxhall.launcher import BackgroundServer, wait_until_ready
from voxhall.settings import Settings
from voxhall.wer import corpus_wer, word_errors

SAMPLE_SENTENCES = (
    "Voxhall, what is on my calendar this afternoon?",
    "Please remind the team that the release is on Friday.",
    "The build failed again on the main branch.",
    "Can you open an issue about the broken login page?",
    "Book a meeting with Sarah tomorrow at ten in the morning.",
    "Thanks, that is all for now.",
)

CHAT_QUESTIONS = (
    "Voxhall, say hello to everyone in the channel.",
    "What is a good name for a friendly robot?",
)
CHAT_SYSTEM_PROMPT = (
    "You are Voxhall, a voice assistant in a Discord voice channel. "
    "Answer in one or two short spoken sentences, without lists or markdown."
)
CHAT_MAX_TOKENS = 60


@dataclass(frozen=True)
class RoundTrip:
    """One sentence spoken and heard back."""

    sentence: str
    heard: str
    wer: float
    tts_first_byte_s: float
    tts_total_s: float
    stt_s: float
    audio_file: str


@dataclass(frozen=True)
class ChatTurn:
    """One spoken question and the spoken answer, timed from the end of the question."""

    question: str
    heard: str
    answer: str
    backend: str
    transcript_s: float
    first_token_s: float
    first_audio_s: float
    audio_file: str


@dataclass(frozen=True)
class DemoServices:
    """Base URLs of the services the demo started."""

    stt_url: str
    tts_url: str
    llm_url: str


@contextmanager
def running_services(settings: Settings, console: Console) -> Iterator[DemoServices]:
    """Start the speech services and llm_service on loopback and wait until all are ready."""
    with (
        ExitStack() as stack,
        Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress,
    ):
        urls = {}
        factories = (("stt", create_stt_app), ("tts", create_tts_app), ("llm", create_llm_app))
        for name, factory in factories:
            task = progress.add_task(f"Starting {name}_service and loading its model")
            server = stack.enter_context(BackgroundServer(factory(settings)))
            wait_until_ready(server.base_url)
            progress.update(task, description=f"{name}_service ready at {server.base_url}")
            urls[name] = server.base_url
        progress.stop()
        yield DemoServices(stt_url=urls["stt"], tts_url=urls["tts"], llm_url=urls["llm"])


async def speak(tts: TtsClient, text: str, since: float) -> tuple[bytes, float]:
    """Stream `text` as WAV; returns the audio and when its first byte came, from `since`."""
    first_byte_s, audio = 0.0, bytearray()
    async for chunk in tts.stream_speech(text, response_format="wav"):
        if not audio:
            first_byte_s = time.perf_counter() - since
        audio += chunk
    return bytes(audio), first_byte_s


async def round_trip(
    sentence: str, index: int, tts: TtsClient, stt: SttClient, out_dir: Path
) -> RoundTrip:
    """Speak `sentence`, save the audio, transcribe it, and time both halves."""
    started = time.perf_counter()
    audio, first_byte_s = await speak(tts, sentence, started)
    tts_total_s = time.perf_counter() - started
    audio_file = out_dir / f"round-trip-{index:02d}.wav"
    audio_file.write_bytes(audio)
    started = time.perf_counter()
    transcription = await stt.transcribe(audio, filename=audio_file.name)
    return RoundTrip(
        sentence=sentence,
        heard=transcription.text,
        wer=word_errors(sentence, transcription.text).wer,
        tts_first_byte_s=first_byte_s,
        tts_total_s=tts_total_s,
        stt_s=time.perf_counter() - started,
        audio_file=audio_file.name,
    )


def round_trip_table(results: list[RoundTrip]) -> Table:
    table = Table(title="Speech round trips: tts_service -> stt_service")
    for column in ("said", "heard", "WER", "TTS first byte", "TTS total", "STT"):
        table.add_column(column, justify="left" if column in ("said", "heard") else "right")
    for result in results:
        table.add_row(
            result.sentence,
            result.heard,
            f"{result.wer:.2f}",
            f"{result.tts_first_byte_s * 1000:.0f} ms",
            f"{result.tts_total_s * 1000:.0f} ms",
            f"{result.stt_s * 1000:.0f} ms",
        )
    return table


async def run_round_trips(
    services: DemoServices, out_dir: Path, console: Console
) -> list[RoundTrip]:
    results = []
    async with TtsClient(services.tts_url) as tts, SttClient(services.stt_url) as stt:
        for index, sentence in enumerate(SAMPLE_SENTENCES, start=1):
            result = await round_trip(sentence, index, tts, stt, out_dir)
            console.print(f"[bold]said[/]  {result.sentence}\n[bold]heard[/] {result.heard}")
            results.append(result)
    return results


async def answer(llm: LlmClient, heard: str, since: float) -> tuple[str, float]:
    """The local model's answer to `heard`, and when its first token came, from `since`."""
    messages = [
        {"role": "system", "content": CHAT_SYSTEM_PROMPT},
        {"role": "user", "content": heard},
    ]
    first_token_s, text = 0.0, ""
    async for chunk in llm.stream_chat(messages, max_tokens=CHAT_MAX_TOKENS, temperature=0.3):
        delta = "".join(choice.delta.content or "" for choice in chunk.choices)
        if delta and not text:
            first_token_s = time.perf_counter() - since
        text += delta
    return text.strip() or "Sorry, I have no answer to that.", first_token_s


async def spoken_answer(
    question: str, index: int, clients: tuple[TtsClient, SttClient, LlmClient], out_dir: Path
) -> ChatTurn:
    """Speak `question`, then time transcript, first token and first audio of the answer."""
    tts, stt, llm = clients
    question_audio = await tts.speech(question, response_format="wav")
    end_of_speech = time.perf_counter()
    heard = (await stt.transcribe(question_audio, filename="question.wav")).text
    transcript_s = time.perf_counter() - end_of_speech
    reply, first_token_s = await answer(llm, heard, end_of_speech)
    audio, first_audio_s = await speak(tts, reply, end_of_speech)
    audio_file = out_dir / f"chat-{index:02d}-answer.wav"
    audio_file.write_bytes(audio)
    return ChatTurn(
        question=question,
        heard=heard,
        answer=reply,
        backend=llm.last_backend or "",
        transcript_s=transcript_s,
        first_token_s=first_token_s,
        first_audio_s=first_audio_s,
        audio_file=audio_file.name,
    )


async def run_chat(services: DemoServices, out_dir: Path, console: Console) -> list[ChatTurn]:
    turns = []
    async with (
        TtsClient(services.tts_url) as tts,
        SttClient(services.stt_url) as stt,
        LlmClient(services.llm_url, model="local") as llm,
    ):
        for index, question in enumerate(CHAT_QUESTIONS, start=1):
            turn = await spoken_answer(question, index, (tts, stt, llm), out_dir)
            console.print(
                f"[bold]you[/]     {turn.heard}\n[bold]voxhall[/] {turn.answer}\n"
                f"[dim]transcript {turn.transcript_s * 1000:.0f} ms, first token "
                f"{turn.first_token_s * 1000:.0f} ms, first audio "
                f"{turn.first_audio_s * 1000:.0f} ms after the end of speech ({turn.backend})[/]"
            )
            turns.append(turn)
    return turns


def run_demo(out_dir: Path, settings: Settings | None = None) -> float:
    """Run the demo, print its report, write it under `out_dir`; returns the corpus WER."""
    console = Console()
    settings = settings or Settings()
    out_dir.mkdir(parents=True, exist_ok=True)
    with running_services(settings, console) as services:
        results = asyncio.run(run_round_trips(services, out_dir, console))
        console.print(round_trip_table(results))
        wer = corpus_wer((result.sentence, result.heard) for result in results)
        console.print(f"Corpus word error rate: [bold]{wer:.3f}[/] over {len(results)} sentences")
        console.rule("A short spoken chat with the local model")
        turns = asyncio.run(run_chat(services, out_dir, console))
    report = {
        "corpus_wer": wer,
        "round_trips": [asdict(result) for result in results],
        "chat": [asdict(turn) for turn in turns],
    }
    (out_dir / "report.json").write_text(json.dumps(report, indent=2))
    console.print(f"Audio and report written to {out_dir}/")
    return wer
