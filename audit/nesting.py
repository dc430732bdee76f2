"""A bound on JSON nesting, checked before a decoder sees the text.

Python's ``json`` decoder recurses once per ``[`` or ``{``: a line of 1,000 brackets raises
``RecursionError`` (not ``ValueError``) and would take a verifier down with a traceback
instead of a named verdict. The size limits alone do not help: 4,096 bytes of entry hold
2,000 levels. So every untrusted JSON text in this package is first measured here.

Neither an appending nor a verifying module: both sides use it, as they use ``errors``.
"""

from __future__ import annotations

import re

__all__ = ["MAX_DEPTH", "too_deep"]

# Entries nest three levels (entry, objects, object) and bundle lines two; eight is far
# above both and far below the interpreter's recursion limit.
MAX_DEPTH = 8
# A complete JSON string literal; brackets inside one do not nest anything.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def too_deep(text: str, limit: int = MAX_DEPTH) -> bool:
    """True when ``text`` opens more than ``limit`` arrays or objects inside each other.

    Exact for valid JSON; for text that is not (an unterminated string) it may count too
    deep, which only refuses what the decoder would refuse anyway.
    """
    if text.count("[") + text.count("{") <= limit:  # every real line: no scan at all
        return False
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        depth += 1 if match.group() in "[{" else -1
        if depth > limit:
            return True
    return False
