"""The one error type the CLI turns into a one-line message and exit code 2."""
from __future__ import annotations

import re

#: The problem part of a message is cut here: it may quote the input (a value, a key, a schema
#: error's repr of a whole document), and an error line must stay a line.
MAX_PROBLEM_CHARS = 500
#: Controls (an ESC sequence from a key or an address must not act on the terminal that prints the
#: error), bidi overrides and lone surrogates (unprintable) are shown as ``\\xNN`` / ``\\uNNNN``.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                     "\ud800-\udfff]")


def _visible(text: str) -> str:
    return _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) <= 0xFF
                       else f"\\u{ord(m.group()):04x}", text)


class InputError(Exception):
    """Input that cannot be used: a file that is unreadable, malformed or of the wrong kind.

    The message names the file and the problem in one line; the CLI prints it and exits 2.
    """

    def __init__(self, where: str, problem: str) -> None:
        self.where = where
        problem = " ".join(str(problem).split())
        if len(problem) > MAX_PROBLEM_CHARS:
            problem = problem[: MAX_PROBLEM_CHARS - 1] + "…"
        self.problem = _visible(problem)
        where_text = _visible(str(where)).replace("\n", "\\x0a")
        super().__init__(f"{where_text}: {self.problem}")
