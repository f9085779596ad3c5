"""What Voxhall's MCP servers tell the agent about a tool in its `_meta`, beyond the MCP spec.

Each key is namespaced, so other clients ignore it: `SPEECH_META_KEY` holds how the tool's
result is said aloud (a `voxhall.spoken.SpokenSummary`), `EXAMPLES_META_KEY` a few requests
people make when they want the tool, which the agent's local router learns from, and
`SLOT_CUES_META_KEY` slot hints: per argument, the phrases after which a request says its value
("log groups named X": `{"name_prefix": ["named"]}`), which the local model's slot filling reads
(`llm_service.agent.slot_values`). A server from
`voxhall.toml` that publishes neither is routed by its tools' names, descriptions and schemas.
"""

SPEECH_META_KEY = "voxhall/speech"
EXAMPLES_META_KEY = "voxhall/examples"
SLOT_CUES_META_KEY = "voxhall/slot_cues"
