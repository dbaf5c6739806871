"""Everything a reviewer reads, rendered from gate.json alone. Pure.

`markdown` is the PR comment, step summary and report.md; further renderers of the same
gate result live beside it.
"""

from benchgate.report.markdown import COMMENT_LIMIT, marker, render, utf8_size, utf16_length

__all__ = ["COMMENT_LIMIT", "marker", "render", "utf8_size", "utf16_length"]
