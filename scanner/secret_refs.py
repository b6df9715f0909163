"""Secrets named by reference (`{env: NAME}` or `{file: PATH}`), read only where and when they are
used — by the coordinator for a local scan, by a worker for a distributed one — so that no
vendors file, store or broker message ever holds the value."""
from __future__ import annotations

import os
from pathlib import Path

from .errors import InputError


def resolve(reference: dict[str, str] | None, who: str, origin: str) -> str | None:
    """The ExternalId `reference` points to (its file's first line); InputError naming `who`."""
    if reference is None:
        return None
    if "env" in reference:
        value = os.environ.get(reference["env"])
        if not value:
            raise InputError(origin, f"{who}: environment variable {reference['env']} (its ExternalId) is not set")
        return value
    try:
        lines = Path(reference["file"]).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(origin, f"{who}: cannot read its ExternalId file {reference['file']}: "
                                 f"{exc.strerror or exc}") from None
    if not lines or not lines[0].strip():
        raise InputError(origin, f"{who}: its ExternalId file {reference['file']} is empty")
    return lines[0].strip()
