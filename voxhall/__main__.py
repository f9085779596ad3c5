"""`python -m voxhall` is the `voxhall` command."""

from voxhall.cli import app

app(prog_name="voxhall")
