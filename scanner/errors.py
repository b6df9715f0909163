"""The one error type the CLI turns into a one-line message and exit code 2."""
from __future__ import annotations


class InputError(Exception):
    """Input that cannot be used: a file that is unreadable, malformed or of the wrong kind.

    The message names the file and the problem in one line; the CLI prints it and exits 2.
    """

    def __init__(self, where: str, problem: str) -> None:
        self.where = where
        self.problem = " ".join(str(problem).split())
        super().__init__(f"{where}: {self.problem}")
