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


def destination_problem(path: str | Path) -> str | None:
    """Why a report cannot be written at `path` — a file, or the one folder ``--output-dir`` makes —
    or None.  The CLI asks when it reads the option, so that no scan (a live one takes minutes) is
    run for a report that cannot be written.  No directory is made on the way: a typo in a path
    would otherwise scatter reports where no one looks."""
    parent = Path(path).parent
    if not parent.exists():
        return f"no such directory: {parent}"
    if not parent.is_dir():
        return f"{parent} is not a directory"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"cannot write in {parent}: permission denied"
    return None


def write_file(path: str | Path, text: str) -> None:
    """Write the whole file or nothing: a failed scan never leaves half a report behind.  A target
    that is not a regular file (``/dev/null``, ``/dev/stdout``, a pipe) is written in place: a
    rename over it would replace the device itself.  The folder must exist (`destination_problem`)."""
    target = Path(path)
    try:
        if target.exists() and not target.is_file() and not target.is_dir():
            with open(target, "w", encoding="utf-8", errors="backslashreplace") as handle:
                handle.write(text)
            return
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as handle:
            handle.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # a report is shared like any file, not kept private like a temp
        os.replace(tmp, target)
    except OSError as exc:
        raise InputError(str(path), f"cannot write: {exc.strerror or exc}") from None


def make_directory(directory: str | Path) -> Path:
    """``--output-dir``: the folder itself is made when missing, its parent never is."""
    try:
        Path(directory).mkdir(exist_ok=True)
    except OSError as exc:
        raise InputError(str(directory), f"cannot make the directory: {exc.strerror or exc}") from None
    return Path(directory)


def write_reports(document: dict[str, Any], formats: list[str], directory: str | Path, stem: str) -> list[Path]:
    """Render every format first, then write them all (``<directory>/<stem>.<ext>``)."""
    rendered = [(Path(directory) / f"{stem}.{FORMATS[f][1]}", render(document, f)) for f in formats]
    make_directory(directory)
    for path, text in rendered:
        write_file(path, text)
    return [path for path, _ in rendered]
