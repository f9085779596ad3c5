"""`python -m bot`: the same as `voxhall bot` (run the Discord bot; `--help` for more)."""

import sys

from voxhall.cli import app

if __name__ == "__main__":
    app(["bot", *sys.argv[1:]], prog_name="python -m")
