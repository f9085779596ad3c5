"""The Voxhall agent: the model `voxhall-agent`, a tool loop over MCP servers.

`build_agent(settings, chain)` gives an `Agent` whose `stream(request)` answers a chat request
with OpenAI chunks (Voxhall's events under the `voxhall` key), and `agent_routers(agent)` the
approval and thread endpoints to mount beside `/v1/chat/completions`; `FallbackChatChain(fallback)`
adapts llm_service's `FallbackChains` to the chain the agent calls.
"""

from llm_service.agent.chain import ChatChain, FallbackChatChain
from llm_service.agent.loop import AGENT_MODEL, Agent
from llm_service.agent.service import agent_routers, build_agent

__all__ = ["AGENT_MODEL", "Agent", "ChatChain", "FallbackChatChain", "agent_routers", "build_agent"]
