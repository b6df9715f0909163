"""Reading what a user hands us: a file (or stdin), its JSON, a saved results document.

Every input goes through here, so that every unreadable, oversized or malformed one is refused the
same way: one `InputError` naming the file and the problem, before anything is written.
"""
from __future__ import annotations

import json
import re
import sys
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import InputError

#: Larger inputs are refused rather than read into memory whole.
MAX_INPUT_BYTES = 512 * 1024 * 1024

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_RAW_SURROGATE = re.compile(rb"\xed[\xa0-\xbf]")


def read_input(path: str) -> tuple[str, bytes]:
    """(display name, bytes) of a file, or of stdin for ``-``."""
    if path == "-":
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        name = "<stdin>"
    else:
        file = Path(path)
        try:
            if file.is_dir():
                raise InputError(path, "is a directory, not a file")
            if file.stat().st_size > MAX_INPUT_BYTES:
                raise InputError(path, f"larger than {MAX_INPUT_BYTES // 2**20} MiB")
            data = file.read_bytes()
        except FileNotFoundError:
            raise InputError(path, "no such file") from None
        except PermissionError:
            raise InputError(path, "permission denied") from None
        except OSError as exc:
            raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
        name = path
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(name, f"larger than {MAX_INPUT_BYTES // 2**20} MiB")
    return name, data


def parse_json(name: str, data: bytes | str) -> Any:
    """JSON with a one-line error naming the place it breaks.  Lone UTF-16 surrogates (legal in
    JSON escapes, unprintable in every output) become U+FFFD."""
    if not data.strip():  # `terraform show -json plan.out > plan.json` that failed leaves this
        raise InputError(name, "empty, not JSON")
    try:
        document = json.loads(data)
    except json.JSONDecodeError as exc:
        raise InputError(name, f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise InputError(name, "not valid JSON: nested too deeply") from None
    except ValueError as exc:  # undecodable bytes; an integer of more than 4,300 digits
        raise InputError(name, f"not valid JSON: {exc}"[:200]) from None
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    suspicious = (_SURROGATE_ESCAPE.search(raw) or _RAW_SURROGATE.search(raw)
                  or json.detect_encoding(raw) not in ("utf-8", "utf-8-sig"))
    try:
        return _replace_surrogates(document) if suspicious else document
    except RecursionError:
        raise InputError(name, "not valid JSON: nested too deeply") from None


def _replace_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, dict):
        return {_replace_surrogates(k): _replace_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_surrogates(v) for v in value]
    return value


@cache
def results_schema() -> dict[str, Any]:
    """The published schema of a results document (`policies/schemas/results.schema.json`)."""
    return json.loads(resources.files("vendorguard.policies").joinpath("schemas/results.schema.json").read_text())


def is_results(document: Any) -> bool:
    """Whether the top level is a results document's (the rest is for the schema to check)."""
    return isinstance(document, dict) and "schema_version" in document and isinstance(document.get("results"), list)
