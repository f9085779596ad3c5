"""`python -m stack` is the `voxhall` command."""

from stack.cli import app

app(prog_name="voxhall")
