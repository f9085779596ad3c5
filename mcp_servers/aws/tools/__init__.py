"""The AWS server's tools, one module per area, each with a `register_<area>_tools` function.

No `from __future__ import annotations` in these modules: the tools are closures, and their
annotations (the confirmation resolvers above all) must be real objects, not strings.
"""
