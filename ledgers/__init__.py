"""Transcript-replay regression ledgers: recorded conversations replayed through the pipeline.

`format` reads and checks ledger files, `runner` replays them through the real services,
`checks` judges each turn, `store` keeps runs and their index, `diff` and `parity` compare
runs, `reports` writes Markdown, JSON and JUnit XML, `recorder` and `accept` turn the bot's
consented turns into new cases, and `generate` makes the shipped cases' audio.
"""
