"""The GitHub server's tools, one module per area, each with a `register_<area>_tools` function.

Every tool calls GitHub through `GithubCalls` (`calls.py`): the named or default repository,
and GitHub's errors as tool errors with the credentials masked. No `from __future__ import
annotations` in these modules: a confirmation prompt is a closure over the server's API client,
and its `Annotated[...]` marker must be evaluated where the tool is defined.
"""
