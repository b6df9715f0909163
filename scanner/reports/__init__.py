"""Renderers: each turns a results document (`ScanReport.to_document()`) into text.

They work from the document, not from live objects, so ``vendorguard report RESULTS.json`` can
re-render a saved scan.  Each renderer is imported only when its format is asked for (rich, for
instance, is not loaded for a JSON-only CI run).
"""
from __future__ import annotations

import importlib
import os
import tempfile
from pathlib import Path
from typing import Any

from ..errors import InputError

#: format name → (module under this package with a ``render(document) -> str``, file extension).
FORMATS = {
    "table": ("table", "txt"),
    "json": ("json_report", "json"),
    "html": ("html", "html"),
    "sarif": ("sarif", "sarif"),
    "junit": ("junit", "junit.xml"),
    "markdown": ("markdown", "md"),
    "asff": ("asff", "asff.json"),
    "oscal": ("oscal", "oscal.json"),
}


def render(document: dict[str, Any], fmt: str, **options: Any) -> str:
    module = importlib.import_module(f"{__name__}.{FORMATS[fmt][0]}")
    return module.render(document, **options)


def write_file(path: str | Path, text: str) -> None:
    """Write the whole file or nothing: a failed scan never leaves half a report behind.  A target
    that is not a regular file (``/dev/null``, ``/dev/stdout``, a pipe) is written in place: a
    rename over it would replace the device itself."""
    target = Path(path)
    try:
        if target.exists() and not target.is_file() and not target.is_dir():
            with open(target, "w", encoding="utf-8", errors="backslashreplace") as handle:
                handle.write(text)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as handle:
            handle.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # a report is shared like any file, not kept private like a temp
        os.replace(tmp, target)
    except OSError as exc:
        raise InputError(str(path), f"cannot write: {exc.strerror or exc}") from None


def write_reports(document: dict[str, Any], formats: list[str], directory: str | Path, stem: str) -> list[Path]:
    """Render every format first, then write them all (``<directory>/<stem>.<ext>``)."""
    rendered = [(Path(directory) / f"{stem}.{FORMATS[f][1]}", render(document, f)) for f in formats]
    for path, text in rendered:
        write_file(path, text)
    return [path for path, _ in rendered]
