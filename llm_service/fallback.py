"""The gateway's fallback: an ordered chain of backends per model alias.

For each request the chain is walked in order, skipping backends whose prompt does not fit and
those whose circuit breaker is open. On one backend, 408/409/429/5xx answers are retried with
jittered backoff (tenacity), waiting the upstream's Retry-After when it gives one that is not
longer than `retry_max_wait_s`. Between backends, the field-notes rules hold: retryable
statuses, connection errors, timeouts and malformed or truncated streams fall through;
401/403/404 fall through and open that backend's breaker at once; other 4xx fail fast with the
upstream's message. Connection errors and timeouts fall through without a retry: the next
backend is a better bet than the same dead one.

A request is committed to a backend at its first output (text or a tool call), which must come
within the backend's deadline (`first_token_timeout_s` for the hosted API,
`local_first_token_timeout_s` for the local model, whose wait includes its queue); until then a
failure restarts the request on the next backend. After it, chunks must keep coming within
`idle_timeout_s`; a failure then raises `MidStreamError`, which the app sends as an OpenAI
error chunk before `[DONE]`. A non-streamed request is not committed before it is whole, so any
failure moves it to the next backend.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_random_exponential

from llm_service.backends.base import BackendError, ChatBackend, ErrorKind
from llm_service.breaker import CircuitBreaker
from llm_service.metrics import BackendStats
from llm_service.schemas import ChatChunk, ChatCompletion, ChatCompletionRequest, CompletionBuilder
from llm_service.settings import LlmSettings
from voxhall.http import OpenAIError
from voxhall.redact import redact_secrets

T = TypeVar("T")
logger = logging.getLogger(__name__)


@dataclass
class ChainLink:
    """One link of a fallback chain: a backend with its breaker and its stats."""

    backend: ChatBackend
    breaker: CircuitBreaker
    stats: BackendStats

    @property
    def name(self) -> str:
        return self.backend.name


class MidStreamError(Exception):
    """The committed backend failed after output reached the client."""

    def __init__(self, backend: str, error: BackendError) -> None:
        super().__init__(error.message)
        self.backend = backend
        self.error = error


@dataclass
class Opened:
    """A backend stream that produced its first output; `buffered` holds what came so far."""

    link: ChainLink
    chunks: AsyncIterator[ChatChunk]
    buffered: list[ChatChunk]
    first_token_at: float
    done: bool = False
    outputs: int = 0


async def _next(chunks: AsyncIterator[ChatChunk]) -> ChatChunk | None:
    try:
        return await anext(chunks)
    except StopAsyncIteration:
        return None


def _upstream_error(error: BackendError) -> OpenAIError:
    """A fail-fast error, with the upstream's own status and message."""
    return OpenAIError(
        error.status or 502,
        error.message,
        type=error.error_type,
        param=error.param,
        code=error.code,
    )


def log_failure(backend: str, error: BackendError) -> None:
    """One WARNING line for a backend's failure: its name, the kind, the status or the
    exception class behind it, and the message with anything like a credential redacted."""
    cause = error.__cause__
    if error.status:
        why = f"{error.kind} {error.status}"
    elif cause is not None:
        why = f"{error.kind}, {type(cause).__name__}"
    else:
        why = str(error.kind)
    logger.warning("backend %s failed (%s): %s", backend, why, redact_secrets(error.message)[:300])


class FallbackChains:
    """Each alias's fallback chain of backends, and the walk along it for a request."""

    def __init__(
        self, links: Sequence[ChainLink], chains: dict[str, list[str]], settings: LlmSettings
    ) -> None:
        self.links = {link.name: link for link in links}
        self.chains = {
            alias: [self.links[name] for name in names if name in self.links]
            for alias, names in chains.items()
        }
        self._settings = settings

    def aliases(self) -> list[str]:
        """Aliases that have at least one backend."""
        return [alias for alias, chain in self.chains.items() if chain]

    async def fitting_chain(self, alias: str, request: ChatCompletionRequest) -> list[ChainLink]:
        """The alias's backends whose context holds the prompt; 404 or 400 when there are none."""
        chain = self.chains.get(alias) or []
        if not chain:
            raise OpenAIError(
                404,
                f"The model '{alias}' does not exist; see GET /v1/models.",
                param="model",
                code="model_not_found",
            )
        fitting = [link for link in chain if await link.backend.fits(request)]
        if not fitting:
            raise OpenAIError(
                400,
                "The messages are longer than the context window of every backend of "
                f"'{alias}'. Shorten the messages.",
                param="messages",
                code="context_length_exceeded",
            )
        return fitting

    async def stream(self, chain: list[ChainLink], request: ChatCompletionRequest) -> Opened:
        """The first backend of the chain that starts answering in time."""
        return await self._walk(chain, lambda link: self._open_with_retries(link, request))

    async def complete(
        self, chain: list[ChainLink], request: ChatCompletionRequest
    ) -> tuple[ChainLink, ChatCompletion]:
        """The whole answer from the first backend that gives one."""

        async def attempt(link: ChainLink) -> tuple[ChainLink, ChatCompletion]:
            opened = await self._open_with_retries(link, request)
            builder = CompletionBuilder()
            async for chunk in self._rest(opened):
                builder.add(chunk)
            return link, builder.build(request.model, link.name)

        return await self._walk(chain, attempt)

    async def _walk(
        self, chain: list[ChainLink], attempt: Callable[[ChainLink], Awaitable[T]]
    ) -> T:
        failures: list[str] = []
        for position, link in enumerate(chain):
            if not link.breaker.try_acquire():
                failures.append(f"{link.name}: circuit open")
                continue
            link.stats.request()
            try:
                return await attempt(link)
            except BackendError as error:
                self._record_failure(link, error)
                failures.append(f"{link.name}: {error.summary()}")
                if not error.falls_through:
                    raise _upstream_error(error) from error
                if position + 1 < len(chain):
                    link.stats.fallback(chain[position + 1].name)
            except BaseException:  # cancelled (the client left): no verdict on the backend
                link.breaker.release()
                raise
        raise self._exhausted(chain, failures)

    def _exhausted(self, chain: list[ChainLink], failures: list[str]) -> OpenAIError:
        retry_in = min((link.breaker.retry_in() for link in chain), default=0.0)
        return OpenAIError(
            503,
            "No backend could answer: " + "; ".join(failures),
            code="backends_unavailable",
            headers={"Retry-After": str(max(int(retry_in), 1))},
        )

    @staticmethod
    def _record_failure(link: ChainLink, error: BackendError) -> None:
        log_failure(link.name, error)
        link.stats.error(error.kind, error.summary())
        if error.falls_through:
            link.breaker.record_failure(trip=error.trips_at_once)
        else:  # the backend answered sensibly; the request was at fault
            link.breaker.record_success()

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, BackendError) and error.retry_after is not None:
            return error.retry_after
        return wait_random_exponential(multiplier=0.05, max=1.0)(state)

    def _should_retry(self, error: BaseException) -> bool:
        return (
            isinstance(error, BackendError)
            and error.retryable
            and (error.retry_after or 0.0) <= self._settings.retry_max_wait_s
        )

    async def _open_with_retries(self, link: ChainLink, request: ChatCompletionRequest) -> Opened:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._settings.retries + 1),
            wait=self._wait,
            retry=retry_if_exception(self._should_retry),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._open(link, request)
        raise AssertionError("unreachable: tenacity reraises the last error")

    async def _open(self, link: ChainLink, request: ChatCompletionRequest) -> Opened:
        started_at = time.perf_counter()
        deadline = link.backend.first_token_timeout_s
        chunks = aiter(link.backend.stream(request))
        buffered: list[ChatChunk] = []
        try:
            async with asyncio.timeout(deadline):
                while (chunk := await _next(chunks)) is not None:
                    buffered.append(chunk)
                    if chunk.has_output() or chunk.finish_reason():
                        break
        except TimeoutError:
            await chunks.aclose()  # type: ignore[attr-defined]
            raise BackendError(ErrorKind.TIMEOUT, f"no first token within {deadline:g} s") from None
        except BaseException:
            await chunks.aclose()  # type: ignore[attr-defined]
            raise
        first_token_at = time.perf_counter()
        link.stats.first_token(first_token_at - started_at)
        link.breaker.record_success()
        return Opened(link, chunks, buffered, first_token_at, done=chunk is None)

    async def _rest(self, opened: Opened) -> AsyncGenerator[ChatChunk]:
        """The buffered chunks, then the rest, each within the idle timeout."""
        idle = self._settings.idle_timeout_s
        try:
            for held in opened.buffered:
                opened.outputs += held.has_output()
                yield held
            while not opened.done:
                try:
                    async with asyncio.timeout(idle):
                        chunk = await _next(opened.chunks)
                except TimeoutError:
                    raise BackendError(
                        ErrorKind.TIMEOUT, f"no chunk for {idle:g} s in the middle of the answer"
                    ) from None
                if chunk is None:
                    break
                opened.outputs += chunk.has_output()
                yield chunk
        finally:
            await opened.chunks.aclose()  # type: ignore[attr-defined]
        opened.link.stats.generation(opened.outputs, time.perf_counter() - opened.first_token_at)

    async def relay(self, opened: Opened) -> AsyncGenerator[ChatChunk]:
        """A committed stream for the client; a failure becomes `MidStreamError`."""
        try:
            async with contextlib.aclosing(self._rest(opened)) as rest:
                async for chunk in rest:
                    yield chunk
        except BackendError as error:
            self._record_failure(opened.link, error)
            raise MidStreamError(opened.link.name, error) from error
