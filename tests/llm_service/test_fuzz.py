"""llm_service fuzzed from its OpenAPI schema (see `tests.fuzzing`): the bundled local model
behind the fallback chains, and the agent with its routes (/v1/approvals, /v1/threads,
/v1/jobs, /v1/mcp_servers) over a private Redis."""

from __future__ import annotations

from schemathesis import Case, GenerationMode

from llm_service.agent.config import AgentConfig
from llm_service.app import create_app
from llm_service.backends.local import LocalModel
from llm_service.settings import AgentSettings, LlmSettings
from stack.settings import Settings
from tests.fuzzing import fuzz_service, report_lines
from tests.llm_service.support import Serve
from voxhall.launcher import wait_until_ready
from voxhall.settings import CommonSettings

API_KEY = "fuzz-key"
MODELS = ("voxhall-default", "local", "voxhall-agent")
MAX_TOKENS = 8  # what a generated request may ask of the model: answers stay short


def _short_answers(case: Case, draw: bool) -> None:
    """In a valid request, half the time name a model that exists (the agent or a chain), and
    cap the token limits, so the fuzzing reaches the model and measures input handling, not
    its speed (a known model and a lower limit keep a valid request valid)."""
    meta = case.meta
    if not isinstance(case.body, dict) or meta is None:
        return
    if meta.generation.mode is not GenerationMode.POSITIVE:
        return
    if draw and isinstance(case.body.get("model"), str):
        case.body["model"] = MODELS[len(str(case.body.get("messages"))) % len(MODELS)]
    for name in ("max_tokens", "max_completion_tokens"):
        value = case.body.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value > MAX_TOKENS:
            case.body[name] = MAX_TOKENS
    if "max_tokens" not in case.body and "max_completion_tokens" not in case.body:
        case.body["max_tokens"] = MAX_TOKENS


def test_fuzzed_requests_get_no_5xx_and_openai_errors(
    serve: Serve, local_model: LocalModel, redis_url: str
) -> None:
    settings = Settings(
        common=CommonSettings(api_key=API_KEY, redis_url=redis_url),
        llm=LlmSettings(_env_file=None, local_threads=1, local_max_tokens=MAX_TOKENS),
        agent=AgentSettings(server_ping_s=1),
    )
    app = create_app(settings, local_model=local_model, agent_config=AgentConfig(servers={}))
    url = wait_until_ready(serve(app))
    report = fuzz_service(url, API_KEY, prepare=_short_answers)
    print("\n".join(report_lines(report)))
