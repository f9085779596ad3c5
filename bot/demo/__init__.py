"""The demo's conversation: who says what, on which cue, and its recorded sample speech.

`stack.demo` plays it through the whole voice loop; the benchmarks replay the same lines.
"""
