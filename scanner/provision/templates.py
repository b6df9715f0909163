"""The reference templates and their config: what the offline proof (`check`) and deployment
(`deploy`) share.  Both find a template's program here, name its Pulumi project, turn
``--config KEY=VALUE`` pairs into Pulumi config (a key without a namespace is ``vendorguard:KEY``)
and run the program as Pulumi's Python host does — under mocks for the proof, as an inline
Automation API program for deployment.
"""
from __future__ import annotations

import json
import os
import re
import sys
import threading
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..errors import InputError

#: Template name on the command line → folder under ``infra_templates/``.
TEMPLATES = {"hipaa-baseline": "hipaa_baseline"}
#: The config namespace the templates read.
NAMESPACE = "vendorguard"

_CONFIG_KEY = re.compile(r"^(?:[A-Za-z0-9_.-]+:)?[A-Za-z0-9_.-]+$")


def template_names() -> list[str]:
    return sorted(TEMPLATES)


def template_dir(template: str) -> Path:
    """The template's program folder (shipped as package data, found through importlib.resources)."""
    folder = TEMPLATES.get(template)
    if folder is None:
        raise InputError("--template", f"no such template {template!r} (available: {', '.join(template_names())})")
    found = resources.files("vendorguard.infra_templates").joinpath(folder)
    path = Path(str(found))
    if not (path / "__main__.py").is_file():
        raise InputError(template, f"the template's program is missing ({path}/__main__.py): "
                                   "reinstall vendorguard")
    return path


def project_name(template: str) -> str:
    """The Pulumi project name in the template's Pulumi.yaml."""
    text = (template_dir(template) / "Pulumi.yaml").read_text(encoding="utf-8")
    match = re.search(r"(?m)^name:\s*(\S+)\s*$", text)
    return match.group(1) if match else f"vendorguard-{template}"


def parse_config(pairs: Iterable[str] | Mapping[str, Any] | None) -> dict[str, str]:
    """``KEY=VALUE`` pairs (or a mapping) as Pulumi config: a key without a namespace is
    ``vendorguard:KEY``; values are strings (JSON for lists and objects)."""
    if not pairs:
        return {}
    items: list[tuple[str, Any]]
    if isinstance(pairs, Mapping):
        items = list(pairs.items())
    else:
        items = []
        for pair in pairs:
            key, sep, value = str(pair).partition("=")
            if not sep:
                raise InputError("--config", f"expected KEY=VALUE, got {pair!r}")
            items.append((key, value))
    out: dict[str, str] = {}
    for key, value in items:
        key = key.strip()
        if not _CONFIG_KEY.match(key):
            raise InputError("--config", f"not a config key: {key!r}")
        if ":" not in key:
            key = f"{NAMESPACE}:{key}"
        out[key] = value if isinstance(value, str) else json.dumps(value)
    return out


_PROGRAM_LOCK = threading.Lock()


def _drop_program_modules(folder: Path) -> None:
    """Forget the modules imported from the program's folder (its helper package)."""
    prefix = str(folder) + os.sep
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.startswith(prefix):
            del sys.modules[name]


def run_program(folder: Path) -> None:
    """Run a template's ``__main__.py`` as Pulumi's Python host does (its folder first on sys.path),
    in a fresh module namespace: its helper modules are imported anew and forgotten afterwards."""
    folder = folder.resolve()
    with _PROGRAM_LOCK:
        saved = list(sys.path)
        _drop_program_modules(folder)
        sys.path.insert(0, str(folder))
        try:
            main = folder / "__main__.py"
            code = compile(main.read_text(encoding="utf-8"), str(main), "exec")
            # Not runpy: it would swap sys.modules["__main__"] and sys.argv[0] for the whole process.
            exec(code, {"__name__": "__main__", "__file__": str(main), "__builtins__": __builtins__})  # noqa: S102
        finally:
            sys.path[:] = saved
            _drop_program_modules(folder)


def installed_version(distribution: str) -> str | None:
    """The installed version of a distribution, or None."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return None
