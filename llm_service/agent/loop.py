"""The agent loop: the model `voxhall-agent`, answering with the help of MCP tools.

One turn: load the thread, then up to `max_steps` times call the backend chain with the tools
of the servers that are up; run the tool calls it asks for (calls that are read-only and need
no approval run in parallel, the others one by one), feed the results back, and stop at the
first answer without tool calls. Along the way the stream carries Voxhall events (see
`events`): a `confirm` tool waits for a person's approval, a `deny` tool is refused, a tool
error goes back to the model as a tool result, and a job tool (a result with `job_id`) ends the
turn at once with a line telling the user the job started. The turn's messages are then stored
in the thread, pruned to its budget. Turns on one thread run one after another; a turn whose
client goes away stores what it had said so far (see `threads` for how the client then cuts
it to what was heard).

The request's `voxhall` key may pick the backend chain and turn tools off (see `options`).
The tool calls run in `tool_calls`, where a write tool waits for its approval; a step the chain
would serve with the small local model is `local_step`'s, where the model does not choose.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from llm_service.agent.approval_store import Approval, open_approval_store
from llm_service.agent.approvals import ApprovalBook, ResumedCall
from llm_service.agent.chain import ChatChain
from llm_service.agent.config import AgentConfig
from llm_service.agent.connections import AgentTool, McpConnections
from llm_service.agent.events import event_chunk
from llm_service.agent.local_chat import FALLBACK, local_chat
from llm_service.agent.local_step import LocalStep, StepResult
from llm_service.agent.options import TurnOptions
from llm_service.agent.reply_rules import SpokenReplyFilter
from llm_service.agent.routing import Router
from llm_service.agent.social import SocialReplies
from llm_service.agent.summaries import summarize_result
from llm_service.agent.threads import (
    ThreadLocks,
    ThreadState,
    ThreadStore,
    interrupted_reply,
    open_thread_store,
    prune,
    scrub_for_storage,
)
from llm_service.agent.tool_calls import CallOutcomes, ToolCallRunner, tool_message
from llm_service.schemas import (
    AgentEvent,
    ChatChunk,
    ChatCompletion,
    ChatCompletionRequest,
    ChatMessage,
    ChoiceDelta,
    ChunkChoice,
    CompletionBuilder,
    Usage,
    completion_id,
)
from llm_service.settings import AgentSettings

logger = logging.getLogger(__name__)

AGENT_MODEL = "voxhall-agent"


@dataclass
class Agent:
    """The agent and what it holds for its whole life: connections, approvals, threads."""

    settings: AgentSettings
    chain: ChatChain
    config: AgentConfig
    connections: McpConnections
    approvals: ApprovalBook
    threads: ThreadStore
    router: Router
    redis_url: str
    model: str = AGENT_MODEL
    examples: dict[str, list[str]] = field(default_factory=dict)
    social: SocialReplies | None = None
    """The local model's replies to thanks, goodbyes and greetings (None: the model answers)."""
    timezone: str = "UTC"
    """The listeners' time zone: tool results are said in it."""
    locks: ThreadLocks = field(default_factory=ThreadLocks)
    _start_lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False)
    _started: bool = field(default=False, init=False, repr=False)

    async def start(self) -> None:
        """Connect the MCP servers and keep threads in Redis when it answers; once only.

        llm_service calls it in the background when it starts (`connect_at_start`), and every
        turn calls it too, so a turn that comes first waits for the same start.
        """
        async with self._start_lock:
            if self._started:
                return
            self.threads = await open_thread_store(self.redis_url, self.settings.thread_ttl_s)
            self.approvals.store = await open_approval_store(
                self.redis_url, self.settings.approvals_path
            )
            await self.connections.start()
            await self._warm_router()
            self._started = True

    async def _warm_router(self) -> None:
        """Build the router's index for the tools now up (for the embedding router: load the
        model and embed the documents, seconds of CPU), off the event loop; a router that
        cannot is only logged, the first local turn meets the same error."""
        try:
            tools = self.connections.available_tools()
            await asyncio.to_thread(self.router.warm, tools, self.examples)
            if self.social:
                await asyncio.to_thread(self.social.warm)
        except Exception:
            logger.exception("the tool router could not be prepared")

    async def aclose(self) -> None:
        await self.connections.aclose()
        await self.threads.aclose()
        await self.approvals.store.aclose()

    async def run_approved(self, approval: Approval) -> ResumedCall:
        """Run an approved call whose turn is gone (llm_service restarted, or the stream that
        asked broke), and say how it went; the approvals route calls it."""
        await self.start()
        origin = approval.call.origin if approval.call else {}
        runner = ToolCallRunner(self.connections, self.approvals, _unheard, origin)
        outcome = await runner.run_approved(approval)
        logger.info(
            "approval %s: %s ran after its turn was gone (%s)",
            approval.id,
            approval.tool,
            "failed" if outcome.is_error else "ok",
        )
        result = tool_message({"id": approval.id}, outcome, self.settings.tool_result_max_chars)
        tool = self.connections.find(approval.tool)
        now = datetime.now(ZoneInfo(self.timezone))
        said = summarize_result(result["content"], now, tool.speech if tool else None)
        return ResumedCall(is_error=outcome.is_error, said=said)

    async def stream(
        self, request: ChatCompletionRequest, options: TurnOptions | None = None
    ) -> AsyncIterator[ChatChunk]:
        """The turn as OpenAI chunks, Voxhall events among them; stops the turn if the consumer
        goes away. `options` defaults to those in the request."""
        await self.start()
        turn = Turn(self, request, options or TurnOptions.of(request))
        task = asyncio.create_task(turn.run())
        try:
            while (chunk := await turn.chunks.get()) is not None:
                yield chunk
        finally:
            if not task.done():
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def complete(
        self, request: ChatCompletionRequest, options: TurnOptions | None = None
    ) -> ChatCompletion:
        """The turn as one completion (events left out)."""
        builder = CompletionBuilder()
        async for chunk in self.stream(request, options):
            builder.add(chunk)
        return builder.build(self.model, AGENT_MODEL)


def _unheard(event: AgentEvent) -> None:
    """The events of a call run without a turn: nobody streams them."""


def _speaker_text(message: dict[str, Any]) -> dict[str, Any]:
    """A stored message as the model sees it: user turns start with the speaker's name."""
    name = message.get("name")
    if message["role"] != "user" or not name or not isinstance(message.get("content"), str):
        return message
    return {**message, "content": f"{name}: {message['content']}"}


def _origin(request: ChatCompletionRequest, thread_id: str | None) -> dict[str, str]:
    """Where the request came from (Discord guild, channel, user), for jobs to report back."""
    metadata = request.metadata or {}
    guild, _, channel = (thread_id or "").partition(":")
    origin = {
        "guild_id": metadata.get("guild_id") or guild,
        "channel_id": metadata.get("channel_id") or channel,
        "user_id": metadata.get("user_id") or request.user,
    }
    return {key: value for key, value in origin.items() if value}


class Turn:
    """One request's run through the loop, writing its chunks to a queue."""

    def __init__(self, agent: Agent, request: ChatCompletionRequest, options: TurnOptions) -> None:
        self.agent = agent
        self.request = request
        self.options = options
        self.chain = agent.chain.with_alias(options.backend) if options.backend else agent.chain
        self.settings = agent.settings
        self.id = completion_id()
        self.chunks: asyncio.Queue[ChatChunk | None] = asyncio.Queue()
        self.thread_id = (request.metadata or {}).get("thread_id")
        self.origin = _origin(request, self.thread_id)
        self.usage = Usage()
        self.new_messages: list[dict[str, Any]] = []
        self.fingerprint: str | None = None
        self.step_text = ""
        self._started = False
        self.tool_calls = ToolCallRunner(agent.connections, agent.approvals, self.emit, self.origin)
        self.local_step = LocalStep(
            self,
            agent.router,
            agent.examples,
            agent.timezone,
            local_chat(agent.settings),
            agent.social,
        )

    # --- output -------------------------------------------------------------------------------

    def emit(self, event: AgentEvent) -> None:
        self.chunks.put_nowait(event_chunk(self.id, self.agent.model, event))

    def _chunk(self, delta: ChoiceDelta, finish_reason: Any = None) -> ChatChunk:
        if not self._started:
            delta.role, self._started = "assistant", True
        return ChatChunk(
            id=self.id,
            model=self.agent.model,
            system_fingerprint=self.fingerprint,
            choices=[ChunkChoice(delta=delta, finish_reason=finish_reason)],
        )

    def say(self, text: str) -> None:
        self.step_text += text
        self.chunks.put_nowait(self._chunk(ChoiceDelta(content=text)))

    def _finish(self) -> None:
        self.chunks.put_nowait(self._chunk(ChoiceDelta(), "stop"))
        if self.request.wants_usage():
            self.usage.total_tokens = self.usage.prompt_tokens + self.usage.completion_tokens
            self.chunks.put_nowait(
                ChatChunk(id=self.id, model=self.agent.model, choices=[], usage=self.usage)
            )
        self.chunks.put_nowait(None)

    # --- the loop -----------------------------------------------------------------------------

    async def run(self) -> None:
        try:
            async with self.agent.locks.hold(self.thread_id):
                await self._answer()
        except Exception as error:
            logger.exception("agent turn failed")
            self.emit(AgentEvent(type="error", message=f"The turn failed: {error}"))
            self.say("Sorry, something went wrong on my side.")
        finally:
            self._finish()

    async def _answer(self) -> None:
        """Load the thread, loop, store the turn; if cancelled, store what was said so far."""
        state = await self._load_thread()
        history = state.prompt_messages()
        self.new_messages = [
            m.wire() for m in self.request.messages if m.role not in ("system", "developer")
        ]
        try:
            answer = await self._loop([*history, *self.new_messages])
        except asyncio.CancelledError:
            self.new_messages.append(
                {"role": "assistant", "content": interrupted_reply(self.step_text)}
            )
            await self._save_thread(state)
            raise
        if answer is not None:
            self.new_messages.append({"role": "assistant", "content": answer})
        await self._save_thread(state)

    async def _loop(self, conversation: list[dict[str, Any]]) -> str | None:
        """Model and tool steps until an answer (returned), a job, or the step limit."""
        for _ in range(self.settings.max_steps):
            tools = self.agent.connections.available_tools() if self.options.tools else []
            request = self._model_request(conversation, tools)
            self.step_text = ""
            try:
                if await self.chain.serves_locally(request):
                    text, calls = await self.local_step.run(request, conversation, tools)
                else:
                    text, calls = await self.model_step(request)
            except Exception as error:
                self.emit(AgentEvent(type="error", message=f"No model could answer: {error}"))
                self.say("Sorry, I can't reach a language model right now.")
                return None
            if not calls:
                return text
            step = [{"role": "assistant", "content": text or None, "tool_calls": calls}]
            outcomes = await self.tool_calls.run(calls)
            max_chars = self.settings.tool_result_max_chars
            step += [tool_message(call, outcome, max_chars) for call, outcome in outcomes]
            conversation += step
            self.new_messages += step
            if self._announce_jobs(outcomes):
                return None
        self.emit(
            AgentEvent(type="error", message=f"Stopped after {self.settings.max_steps} steps.")
        )
        self.say(f"I stopped after {self.settings.max_steps} tool steps without an answer.")
        return None

    def _system_prompt(self) -> str:
        parts = [self.settings.system_prompt]
        down = self.agent.connections.unavailable()
        if down:
            parts.append(
                "These tool servers are unavailable right now; say so if the user needs them: "
                + ", ".join(sorted(down))
                + "."
            )
        parts += [m.text() for m in self.request.messages if m.role in ("system", "developer")]
        return "\n".join(parts)

    def _model_request(
        self, conversation: list[dict[str, Any]], tools: list[AgentTool]
    ) -> ChatCompletionRequest:
        messages = [{"role": "system", "content": self._system_prompt()}]
        messages += [_speaker_text(message) for message in conversation]
        return ChatCompletionRequest(
            model=self.request.model,
            messages=[ChatMessage.model_validate(m) for m in messages],
            tools=[tool.openai_tool() for tool in tools] or None,
            tool_choice="auto" if tools else None,
            temperature=self.request.temperature,
            top_p=self.request.top_p,
            max_tokens=self.request.token_limit(),
            seed=self.request.seed,
            stream=True,
        )

    async def model_step(
        self, request: ChatCompletionRequest, spoken: SpokenReplyFilter | None = None
    ) -> StepResult:
        """One call to the chain: text goes out as it comes, tool calls are collected. With
        `spoken`, text goes out through it, sentence by sentence, and the model is stopped
        once it has nothing more to say; the step's text is then what was said."""
        builder = CompletionBuilder()
        said: list[str] = []
        chunks = self.chain.stream(request)
        try:
            async for chunk in chunks:
                self.fingerprint = chunk.system_fingerprint or self.fingerprint
                builder.add(chunk)
                if chunk.usage:
                    self.usage.prompt_tokens += chunk.usage.prompt_tokens
                    self.usage.completion_tokens += chunk.usage.completion_tokens
                for choice in chunk.choices:
                    text = choice.delta.content
                    if text and spoken is not None:
                        text = spoken.feed(text)
                    if text:
                        said.append(text)
                        self.say(text)
                if spoken is not None and spoken.done:
                    break
        finally:  # at once, so a model stopped early stops generating
            await chunks.aclose()  # type: ignore[attr-defined]
        completion = builder.build(self.agent.model, self.fingerprint or "")
        message = completion.choices[0].message
        calls = [call.wire() for call in message.tool_calls or []]
        if spoken is None:
            return message.content or "", calls
        if tail := spoken.finish():
            said.append(tail)
            self.say(tail)
        if not said:
            said.append(FALLBACK)
            self.say(FALLBACK)
        return "".join(said), calls

    def _announce_jobs(self, outcomes: CallOutcomes) -> bool:
        jobs = [o.job_id for _, o in outcomes if o.job_id]
        if not jobs:
            return False
        which = f"it's running as job {jobs[0]}" if len(jobs) == 1 else f"jobs {', '.join(jobs)}"
        line = f"I've started that; {which}. I'll post the progress and the result here."
        self.say(line)
        self.new_messages.append({"role": "assistant", "content": line})
        return True

    # --- threads ------------------------------------------------------------------------------

    async def _load_thread(self) -> ThreadState:
        if not self.thread_id:
            return ThreadState()
        return await self.agent.threads.load(self.thread_id)

    async def _save_thread(self, state: ThreadState) -> None:
        if not self.thread_id:
            return
        messages = [*state.messages, *(scrub_for_storage(m) for m in self.new_messages)]
        pruned = prune(
            ThreadState(summary=state.summary, messages=messages),
            self.settings.thread_token_budget,
            self.settings.thread_summary_tokens,
        )
        pruned.last_turn_id = self.id
        await self.agent.threads.save(self.thread_id, pruned)
