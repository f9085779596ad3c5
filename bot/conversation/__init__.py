"""The bot's conversation core, free of Discord: listening, turn-taking and spoken replies.

The Discord edge (and `voxhall demo`'s local files) plug in through the Protocols in
`ports`; everything else here works on plain PCM frames and text.
"""
