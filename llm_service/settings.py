"""Gateway and agent settings: `VOXHALL_LLM_*`, `VOXHALL_AGENT_*` and llm_service's tree."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

from voxhall import bundled_models
from voxhall.bundled_models import LocalLlm
from voxhall.settings import SharedSettings, TaskSettings, section_config


class LlmSettings(BaseSettings):
    """The chat gateway (llm_service)."""

    model_config = section_config("VOXHALL_LLM_")

    host: str = Field("127.0.0.1", description="Address llm_service binds.")
    port: int = Field(8703, description="Port llm_service listens on.")
    hosted_base_url: str | None = Field(
        None, description="Base URL of the hosted OpenAI-compatible chat API."
    )
    hosted_api_key: SecretStr | None = Field(None, description="API key for the hosted chat API.")
    hosted_model: str = Field("gpt-4o-mini", description="Model name sent to the hosted API.")
    local_model: LocalLlm = Field(
        "smollm2-135m",
        description="Bundled model of the in-process llama.cpp backend: smollm2-135m or "
        "gemma3-270m (assembled by make install); VOXHALL_LLM_LOCAL_GGUF overrides it.",
    )
    local_gguf: str | None = Field(
        None,
        description="GGUF file for the in-process llama.cpp backend (empty: the bundled model "
        "VOXHALL_LLM_LOCAL_MODEL names).",
    )
    local_n_ctx: int = Field(4096, ge=256, description="Context size of the local model.")
    local_threads: int = Field(2, ge=1, description="CPU threads for the local model.")
    local_max_queue: int = Field(
        32, ge=0, description="Requests allowed to wait for the local model; beyond it, 503."
    )
    local_max_tokens: int = Field(
        512, ge=1, description="Tokens the local model writes when a request sets no limit."
    )
    local_repeat_penalty: float = Field(
        1.1,
        ge=1.0,
        description="llama.cpp repeat penalty for the local model (1.0: none); small models "
        "loop without one.",
    )
    local_json_max_string: int = Field(
        64, ge=1, description="maxLength given to unbounded strings in constrained JSON output."
    )
    local_json_max_items: int = Field(
        8, ge=1, description="maxItems given to unbounded arrays in constrained JSON output."
    )
    hosted_context_tokens: int = Field(
        128000, ge=1, description="Context window of the hosted model, in tokens."
    )
    hosted_connect_timeout_s: float = Field(
        5.0, gt=0, description="Seconds to connect to the hosted API."
    )
    retries: int = Field(
        2, ge=0, description="Extra tries on the same backend for 408/409/429/5xx answers."
    )
    retry_max_wait_s: float = Field(
        2.0, ge=0, description="Longest Retry-After honoured; a longer one falls through at once."
    )
    first_token_timeout_s: float = Field(
        10.0, gt=0, description="Seconds the hosted API has for its first token (then fallback)."
    )
    local_first_token_timeout_s: float = Field(
        60.0, gt=0, description="Seconds the local model has for its first token, queue included."
    )
    idle_timeout_s: float = Field(
        10.0, gt=0, description="Seconds allowed between two chunks of a streaming answer."
    )
    breaker_failures: int = Field(
        3, ge=1, description="Consecutive failures that open a backend's circuit breaker."
    )
    breaker_cooldown_s: float = Field(
        30.0, gt=0, description="Seconds a breaker stays open before one probe request."
    )
    max_body_mb: float = Field(4.0, gt=0, description="Largest accepted request body in MB.")

    def gguf_path(self) -> str:
        """The configured GGUF file, or the bundled model `local_model` names."""
        return self.local_gguf or str(bundled_models.bundled_llm_gguf(self.local_model))

    def local_model_label(self) -> str:
        """What the local backend runs, as reports name it."""
        return self.local_gguf or f"bundled {self.local_model}"


class AgentSettings(BaseSettings):
    """The agent (model voxhall-agent in llm_service): tool loop, approvals, threads."""

    model_config = section_config("VOXHALL_AGENT_")

    enabled: bool = Field(
        True, description="Serve the model voxhall-agent (llm_service starts its MCP servers)."
    )
    connect_at_start: bool = Field(
        True,
        description="Start and connect the MCP servers when llm_service starts, in the "
        "background (/ready waits for them), so the first turn does not pay for it (false: at "
        "the first voxhall-agent turn).",
    )
    max_steps: int = Field(
        6, ge=1, description="Model calls one turn may make before the agent stops asking tools."
    )
    approval_timeout_s: float = Field(
        120.0, gt=0, description="Seconds an approval waits for a decision; expiry is a denial."
    )
    approvals_file: Path | None = Field(
        None,
        description="Where pending approvals are kept when Redis does not answer, so their "
        "buttons still work after a restart (default: approvals.json in the user's state "
        "folder).",
    )
    tool_timeout_s: float = Field(
        60.0, gt=0, description="Seconds one MCP tool call may take before it is an error."
    )
    tool_result_max_chars: int = Field(
        4000, ge=200, description="Longest tool result (characters) fed back to the model."
    )
    thread_token_budget: int = Field(
        2000, ge=200, description="Tokens of history (with the summary) a thread keeps in a prompt."
    )
    thread_summary_tokens: int = Field(
        300, ge=50, description="Most tokens the rolling summary of pruned turns may take."
    )
    thread_ttl_s: int = Field(
        604800, ge=1, description="Seconds an idle thread is kept before it is forgotten."
    )
    server_restart_max_s: float = Field(
        10.0, gt=0, description="Longest wait between restarts of a dead MCP server, in seconds."
    )
    server_ping_s: float = Field(
        15.0, gt=0, description="Seconds between liveness pings of each MCP server."
    )
    server_start_timeout_s: float = Field(
        30.0,
        gt=0,
        description="Seconds an MCP server has to connect and list its tools; past it the server "
        "is marked unavailable (turns say so) and retried with backoff.",
    )
    router: Literal["tfidf", "embedding", "hybrid", "classifier"] = Field(
        "classifier",
        description="Local model: how the tool is picked: tfidf (character n-grams), embedding "
        "(all-MiniLM-L6-v2 sentence embeddings), hybrid (both scores, weighted) or classifier "
        "(a linear classifier over both, trained on the tools' examples at start).",
    )
    router_min_similarity: float = Field(
        0.3,
        ge=0,
        le=1,
        description="Local model, tfidf router: lowest similarity of a request to a tool's "
        "phrasings that still picks the tool (below it, plain chat).",
    )
    router_embedding_min_similarity: float = Field(
        0.35,
        ge=0,
        le=1,
        description="Local model, embedding router: lowest cosine similarity of a request to a "
        "tool's phrasings that still picks the tool (below it, plain chat).",
    )
    router_hybrid_weight: float = Field(
        0.6,
        ge=0,
        le=1,
        description="Local model, hybrid router: share of the embedding score (the rest is the "
        "tfidf score).",
    )
    router_hybrid_min_similarity: float = Field(
        0.33,
        ge=0,
        le=1,
        description="Local model, hybrid router: lowest weighted score that still picks a tool.",
    )
    router_classifier_min_margin: float = Field(
        -0.83,
        ge=-2,
        le=2,
        description="Local model, classifier router: lowest margin (the linear classifier's "
        "decision value) of the best tool that still picks it (below it, plain chat).",
    )
    router_classifier_words_weight: float = Field(
        1.0,
        ge=0,
        description="Local model, classifier router: weight of the TF-IDF features beside the "
        "sentence embedding.",
    )
    router_threads: int = Field(
        1, ge=1, description="ONNX Runtime threads for the router's sentence embeddings."
    )
    system_prompt: str = Field(
        "You are Voxhall, a voice assistant in a Discord voice channel. Answer in one or two "
        "short spoken sentences. Use the tools when they help; never invent tool results.",
        description="System prompt the agent puts first in every conversation.",
    )
    local_chat_prompt: str = Field(
        "You are Voxhall, a voice assistant in a Discord voice channel. Answer in one or two "
        "short spoken sentences.",
        description="Local model, plain chat: the system prompt it sees alone with the words "
        "(chosen with bench/chat_replies.py).",
    )
    local_chat_temperature: float = Field(
        0.0,
        ge=0,
        le=2,
        description="Local model, plain chat: temperature, unless the request sets one.",
    )
    local_chat_top_p: float = Field(
        1.0, gt=0, le=1, description="Local model, plain chat: top_p, unless the request sets one."
    )
    local_chat_max_tokens: int = Field(
        32, ge=8, description="Local model, plain chat: most tokens of a reply."
    )
    local_chat_repeat_penalty: float = Field(
        1.3,
        ge=1.0,
        description="Local model, plain chat: llama.cpp repeat penalty (slot filling keeps "
        "VOXHALL_LLM_LOCAL_REPEAT_PENALTY).",
    )
    local_social_replies: bool = Field(
        True,
        description="Local model: thanks, goodbyes and greetings get a reply of their own "
        "instead of the small model's (which answers them badly).",
    )
    local_social_min_similarity: float = Field(
        0.65,
        ge=0,
        le=1,
        description="Local model: how close (sentence-embedding cosine) words must be to a "
        "phrasing of thanks, goodbye or greeting to get its reply.",
    )

    @property
    def approvals_path(self) -> Path:
        """The approvals file in effect (used when Redis does not answer)."""
        state = Path(platformdirs.user_state_dir("voxhall"))
        return self.approvals_file or state / "approvals.json"


class LlmServiceSettings(SharedSettings):
    """What llm_service reads: the shared sections, the gateway, the agent and its jobs."""

    llm: LlmSettings = Field(default_factory=LlmSettings)
    agent: AgentSettings = Field(default_factory=AgentSettings)
    tasks: TaskSettings = Field(default_factory=TaskSettings)
