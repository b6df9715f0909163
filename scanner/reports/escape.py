"""Neutralising untrusted text (names and tags from a scanned account) for each medium."""
from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal(text: str) -> str:
    """No control characters reach a terminal: an ESC in a tag value must not recolour (or
    rewrite) the screen, nor a bidi override reorder it.  Newlines and tabs become spaces."""
    text = str(text).replace("\n", " ").replace("\t", " ")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
