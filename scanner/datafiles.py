"""The shipped data (`policies/*.yaml`), parsed once per content and kept as JSON beside it.

Every command reads the rules, the packs, the type table and the secrets table: about 250 KB of
YAML that PyYAML's C loader parses in ~45 ms, after ~17 ms to import — most of a small scan's
start-up and a twentieth of a 10,000-resource one.  JSON of the same data loads in ~2 ms.

The parsed document is kept in `policies/__pycache__/`, named by the file and the SHA-256 of the
text it came from: an edited file (an editable install, a new version) has a new name, so a stale
entry is never read, and the older entry of that file is removed when the new one is written.
The folder has the trust of the code beside it, as Python's own bytecode cache does; a cache in
the user's home could be planted by whoever shares it (a CI cache) to change what a rule says.
A folder that cannot be written (a system-wide install) only means parsing every time.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any, Callable


def shipped_text(relative: str) -> str:
    """A shipped data file's text (`relative` to `policies/`)."""
    return resources.files("vendorguard.policies").joinpath(relative).read_text()


def safe_yaml(text: str) -> Any:
    """YAML through the safe loader (C when PyYAML has it); imported here, when a parse is needed."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506


def shipped_yaml(relative: str) -> Any:
    """A shipped YAML file's document, from the cache when its text was parsed before."""
    return parsed(relative, shipped_text(relative), safe_yaml, "yaml")


def parsed(relative: str, text: str, parse: Callable[[str], Any], form: str) -> Any:
    """`parse(text)` for the shipped file `relative`, kept for the next run under the digest of
    `form` (what `parse` makes, and its version) and `text`.  A document JSON cannot hold exactly
    (a date, a non-string key) is never kept."""
    stem = relative.replace("/", ".")
    digest = hashlib.sha256(f"{form}\n{text}".encode()).hexdigest()
    entry = _folder() / f"{stem}.{digest}.json"
    try:
        return json.loads(entry.read_bytes())
    except (OSError, ValueError):  # not kept yet, or unreadable: parse
        pass
    document = parse(text)
    _keep(entry, stem, document)
    return document


def _folder() -> Path:
    return Path(str(resources.files("vendorguard.policies"))) / "__pycache__"


def _keep(entry: Path, stem: str, document: Any) -> None:
    """Write the entry whole or not at all (a temporary file renamed over it: a reader never sees
    half of one), then drop the file's older entries."""
    try:
        encoded = json.dumps(document)
    except (TypeError, ValueError):
        return
    if json.loads(encoded) != document:
        return
    try:
        entry.parent.mkdir(exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=entry.parent, prefix=f".{stem}.", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(encoded)
        os.chmod(temporary, 0o644)  # readable by all, like the files it comes from
        os.replace(temporary, entry)
        for older in entry.parent.glob(f"{stem}.*.json"):
            if older.name != entry.name:
                older.unlink(missing_ok=True)
    except OSError:
        Path(temporary).unlink(missing_ok=True)
