"""The composition root: it wires the parts into the programs people run.

`voxhall` (the CLI), the supervisor behind `voxhall up`, the bot process with its ledger
recorder, the demo, and the worker with its job modules live here, and only here does one
part meet another's internals. No part imports `stack`.
"""
