"""A local Discord: REST, the main gateway, the voice gateway with DAVE, and people who talk.

`sim.DiscordSim` puts it together; tests, `voxhall demo --discord` and `bench/discord_voice.py`
run the real bot through it. It speaks the protocol from Discord's side and shares no code with
the bot's edge.
"""
