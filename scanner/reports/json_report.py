"""The results document as JSON (its schema: `policies/schemas/results.schema.json`).

One result per line: diff-friendly and greppable, and written by json's C encoder (an indented
dump goes through the pure-Python one, which costs seconds on a 10,000-resource plan).
"""
from __future__ import annotations

import json
from typing import Any

from .escape import json_safe

_RESULT_LINE = json.JSONEncoder(separators=(", ", ": "))  # built once, not per result


def render(document: dict[str, Any]) -> str:
    head = {k: v for k, v in document.items() if k not in ("results", "not_evaluated")}
    body = json.dumps(head, indent=1)[:-2]  # reopen the object before its "}"
    if "not_evaluated" in document:  # one entry per line, like the results (a plan may have thousands)
        body += ',\n "not_evaluated": ' + _array(document["not_evaluated"])
    return json_safe(body + ',\n "results": ' + _array(document["results"]) + "\n}\n")


def _array(items: list[Any]) -> str:
    return "[\n  " + ",\n  ".join(map(_RESULT_LINE.encode, items)) + "\n ]" if items else "[]"
