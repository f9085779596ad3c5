"""`voxhall demo`: the full voice loop on bundled models and sample speech (see `loop`)."""

from stack.demo.loop import run_demo

__all__ = ["run_demo"]
