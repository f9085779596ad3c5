"""The in-process llama.cpp backend (llama-cpp-python), on a bundled model (SmolLM2-135M or
Gemma 3 270M, `VOXHALL_LLM_LOCAL_MODEL`) or any GGUF file.

`LocalModel` owns the loaded GGUF and a single worker thread: generation never runs on the
event loop, requests are served strictly first come, first served, and one model may be shared
by several apps in one process (tests, the demo). `LocalBackend` is the per-app face: it bounds
the waiting line, plans tool calls and JSON output (see `constrain`), turns llama.cpp's chunks
into OpenAI chunks, and stops generation as soon as its consumer goes away.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable, Generator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from llama_cpp import Llama
from llama_cpp.llama_chat_format import ChatFormatterResponse, Jinja2ChatFormatter

from llm_service.backends.base import BackendError, ErrorKind
from llm_service.backends.constrain import GenerationPlan, plain_messages, plan_generation
from llm_service.schemas import (
    ChatChunk,
    ChatCompletionRequest,
    ChoiceDelta,
    ChunkChoice,
    FunctionCallDelta,
    ToolCallDelta,
    Usage,
    completion_id,
    tool_call_id,
)
from llm_service.settings import LlmSettings
from voxhall.bundled_models import LocalLlm

logger = logging.getLogger(__name__)

TOKENS_PER_MESSAGE_ESTIMATE = 8
TEMPLATE_BYTES_PER_MESSAGE = 64  # role markers around each message
TEMPLATE_BYTES = 512  # a default system prompt the chat template may add


class _End:
    """Marks the end of one generation in the thread-to-loop queue."""


END = _End()
Emit = Callable[[object], None]


class TranscriptFormatter(Jinja2ChatFormatter):
    """A chat template for a model trained on no chat turns: the conversation as a transcript
    ("User: ..." / "Voxhall: ..."), the answer ending at the next speaker or a blank line."""

    STOP = ("\nUser:", "\n\n")

    def __init__(self, bos_token: str) -> None:
        super().__init__(template=TRANSCRIPT_TEMPLATE, eos_token=self.STOP[0], bos_token=bos_token)

    def __call__(self, **kwargs: Any) -> ChatFormatterResponse:
        response = super().__call__(**kwargs)
        response.stop = list(self.STOP)
        return response


TRANSCRIPT_TEMPLATE = (
    "{{ bos_token }}"
    "{%- for m in messages -%}"
    "{%- if m['role'] == 'system' -%}{{ (m['content'] | trim) + '\n\n' }}"
    "{%- elif m['role'] == 'assistant' -%}{{ 'Voxhall: ' + (m['content'] | trim) + '\n' }}"
    "{%- else -%}{{ 'User: ' + (m['content'] | trim) + '\n' }}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ 'Voxhall:' }}{%- endif -%}"
)
"""Gemma 3 270M as bundled is the pretrained model (google/gemma-3-270m, not -it): its GGUF has
no chat template, llama-cpp-python would fall back to Llama 2's `[INST]` format, and Gemma's own
`<start_of_turn>` turns (which have no system role: the official template folds the system
prompt into the first user turn) only make it repeat the prompt. As a transcript it answers."""

TEMPLATE_FALLBACKS: dict[LocalLlm, Callable[[str], Jinja2ChatFormatter]] = {
    "gemma3-270m": TranscriptFormatter,
}
"""Chat templates for bundled models whose GGUF carries none, by the model's BOS token."""


class LocalModel:
    """A loaded GGUF model with its own single worker thread (one generation at a time).

    The chat template is the GGUF's own (`tokenizer.chat_template`, which llama.cpp applies),
    else `fallback`, given the model's BOS token, when there is one."""

    def __init__(
        self,
        gguf_path: str,
        n_ctx: int,
        n_threads: int,
        fallback: Callable[[str], Jinja2ChatFormatter] | None = None,
    ) -> None:
        self.name = Path(gguf_path).stem
        self.llama = Llama(model_path=gguf_path, n_ctx=n_ctx, n_threads=n_threads, verbose=False)
        self.n_ctx = n_ctx
        self.llama.create_completion("Hello", max_tokens=1)  # warm up before the first request
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llama")
        template = self.llama.metadata.get("tokenizer.chat_template")
        self._formatter: Jinja2ChatFormatter | None = None
        if template:
            self._formatter = Jinja2ChatFormatter(template=template, eos_token="", bos_token="")
        elif fallback is not None:
            bos = self.llama.detokenize([self.llama.token_bos()], special=True).decode()
            self.llama.chat_handler = fallback(bos).to_chat_handler()
            self._formatter = fallback("")

    @classmethod
    def from_settings(cls, settings: LlmSettings) -> LocalModel:
        fallback = None if settings.local_gguf else TEMPLATE_FALLBACKS.get(settings.local_model)
        return cls(settings.gguf_path(), settings.local_n_ctx, settings.local_threads, fallback)

    def count_tokens(self, text: str) -> int:
        return len(self.llama.tokenize(text.encode(), add_bos=False, special=True))

    def count_prompt_tokens(self, messages: list[dict[str, str]]) -> int:
        """Prompt tokens after the chat template (an estimate when the GGUF has none)."""
        if self._formatter is not None:
            # llama-cpp types messages as per-role TypedDicts; ours are plain role/content dicts.
            prompt = self._formatter(messages=messages).prompt  # type: ignore[arg-type]
            return self.count_tokens(prompt)
        content = sum(self.count_tokens(m["content"]) for m in messages)
        return content + TOKENS_PER_MESSAGE_ESTIMATE * len(messages)

    def count_usage(self, messages: list[dict[str, str]], answer: str) -> tuple[int, int]:
        """Prompt and completion tokens (the answer re-tokenized)."""
        return self.count_prompt_tokens(messages), self.count_tokens(answer)

    def generate(
        self, plan: GenerationPlan, options: dict[str, Any], stop: threading.Event, emit: Emit
    ) -> None:
        """Run in the worker thread: emit llama.cpp chunks until done or `stop` is set."""
        if stop.is_set():
            return
        try:
            schema = plan.schema
            response_format = {"type": "json_object", "schema": schema} if schema else None
            chunks = self.llama.create_chat_completion(
                messages=plan.messages,  # type: ignore[arg-type]
                response_format=response_format,  # type: ignore[arg-type]
                stream=True,
                **options,
            )
            if not isinstance(chunks, Generator):
                raise TypeError(f"llama.cpp returned no stream of chunks: {chunks!r}")
            try:
                for chunk in chunks:
                    if stop.is_set():
                        break
                    emit(chunk)
            finally:
                chunks.close()
            emit(END)
        except Exception as error:  # reported to the waiting request, not lost in the thread
            emit(error)

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.llama.close()


class LocalBackend:
    """Chat completions from a `LocalModel`, loaded at start unless one is given."""

    def __init__(
        self, settings: LlmSettings, model: LocalModel | None = None, name: str = "local"
    ) -> None:
        self.name = name
        self.first_token_timeout_s = settings.local_first_token_timeout_s
        self._settings = settings
        self._model = model
        self._owns_model = model is None
        self._waiting = 0

    @property
    def model(self) -> LocalModel:
        if self._model is None:
            raise BackendError(
                ErrorKind.OVERLOADED, "the local model is still loading", status=503, retry_after=1
            )
        return self._model

    async def start(self) -> None:
        if self._model is None:
            self._model = await asyncio.to_thread(LocalModel.from_settings, self._settings)

    async def aclose(self) -> None:
        if self._owns_model and self._model is not None:
            await asyncio.to_thread(self._model.close)
            self._model = None

    async def fits(self, request: ChatCompletionRequest) -> bool:
        """Counted with the tokenizer, unless the prompt is surely short (a token is a byte
        or more, so content bytes plus the template's allowance bound the token count)."""
        messages = plain_messages(request.messages)
        model = self.model
        content_bytes = sum(len(m["content"].encode()) for m in messages)
        bound = content_bytes + TEMPLATE_BYTES_PER_MESSAGE * len(messages) + TEMPLATE_BYTES
        if bound < model.n_ctx:
            return True
        return await asyncio.to_thread(model.count_prompt_tokens, messages) < model.n_ctx

    def _options(self, request: ChatCompletionRequest) -> dict[str, Any]:
        options: dict[str, Any] = {
            "max_tokens": request.token_limit() or self._settings.local_max_tokens,
            "stop": request.stop_list() or None,
            "seed": request.seed,
            "repeat_penalty": request.repeat_penalty or self._settings.local_repeat_penalty,
        }
        if request.temperature is not None:
            options["temperature"] = request.temperature
        if request.top_p is not None:
            options["top_p"] = request.top_p
        return options

    async def stream(self, request: ChatCompletionRequest) -> AsyncIterator[ChatChunk]:
        settings = self._settings
        model = self.model
        if self._waiting > settings.local_max_queue:
            raise BackendError(
                ErrorKind.OVERLOADED, "the local model's queue is full", status=503, retry_after=1
            )
        plan = plan_generation(
            request, settings.local_json_max_string, settings.local_json_max_items
        )
        loop = asyncio.get_running_loop()
        items: asyncio.Queue[object] = asyncio.Queue()
        stop = threading.Event()

        def emit(item: object) -> None:
            try:
                loop.call_soon_threadsafe(items.put_nowait, item)
            except RuntimeError:  # the loop is gone: nobody is listening any more
                stop.set()

        options = self._options(request)
        self._waiting += 1
        loop.run_in_executor(model.executor, model.generate, plan, options, stop, emit)
        try:
            async for chunk in self._chunks(items, plan, model, options["max_tokens"]):
                yield chunk
        finally:
            stop.set()
            self._waiting -= 1

    async def _chunks(
        self,
        items: asyncio.Queue[object],
        plan: GenerationPlan,
        model: LocalModel,
        max_tokens: int,
    ) -> AsyncIterator[ChatChunk]:
        shaper = ChunkShaper(model.name, self.name, plan)
        text: list[str] = []
        while not isinstance(item := await items.get(), _End):
            if isinstance(item, Exception):
                raise _backend_error(item)
            assert isinstance(item, dict)
            choice = item["choices"][0]
            content = choice["delta"].get("content")
            if content:
                text.append(content)
            yield shaper.chunk(content, choice.get("finish_reason"))
        prompt, completion = await asyncio.to_thread(
            model.count_usage, plan.messages, "".join(text)
        )
        yield shaper.usage(prompt, min(completion, max_tokens))


def _backend_error(error: Exception) -> BackendError:
    message = str(error)
    if "context window" in message or "exceed" in message:
        return BackendError(
            ErrorKind.CONTEXT_LENGTH, message, status=400, code="context_length_exceeded"
        )
    logger.error("local generation failed: %s", message)
    return BackendError(ErrorKind.STATUS, f"local generation failed: {message}", status=500)


class ChunkShaper:
    """Turns llama.cpp stream pieces into OpenAI chunks: text, or one tool call's arguments."""

    def __init__(self, model_name: str, fingerprint: str, plan: GenerationPlan) -> None:
        self.id = completion_id()
        self.model_name = model_name
        self.fingerprint = fingerprint
        self.plan = plan
        self.started = False

    def _chunk(self, delta: ChoiceDelta, finish_reason: Any = None) -> ChatChunk:
        return ChatChunk(
            id=self.id,
            model=self.model_name,
            system_fingerprint=self.fingerprint,
            choices=[ChunkChoice(delta=delta, finish_reason=finish_reason)],
        )

    def chunk(self, content: str | None, finish_reason: str | None) -> ChatChunk:
        role = None if self.started else "assistant"
        tool = self.plan.tool
        if tool is None:
            self.started = True
            return self._chunk(ChoiceDelta(role=role, content=content), finish_reason)
        if finish_reason == "stop":
            finish_reason = "tool_calls"
        function = FunctionCallDelta(arguments=content or "")
        call = ToolCallDelta(index=0, function=function)
        if not self.started:
            call.id, call.type, function.name = tool_call_id(), "function", tool.function.name
        self.started = True
        calls = [call] if content or call.id else None
        return self._chunk(ChoiceDelta(role=role, tool_calls=calls), finish_reason)

    def usage(self, prompt_tokens: int, completion_tokens: int) -> ChatChunk:
        usage = Usage(
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            total_tokens=prompt_tokens + completion_tokens,
        )
        return ChatChunk(
            id=self.id,
            model=self.model_name,
            system_fingerprint=self.fingerprint,
            choices=[],
            usage=usage,
        )
