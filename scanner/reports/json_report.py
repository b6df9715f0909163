"""The results document as JSON (its schema: `policies/schemas/results.schema.json`).

One result per line: diff-friendly and greppable, and written by json's C encoder (an indented
dump goes through the pure-Python one, which costs seconds on a 10,000-resource plan).
"""
from __future__ import annotations

import json
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

from .escape import json_safe


def _not_json(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# json's C encoder itself, made once: `JSONEncoder.encode` builds one per call and checks for
# cycles, a sixth of a 10,000-resource scan's report for nothing (a results document is a tree).
# The arguments are `JSONEncoder(separators=(", ", ": "))`'s, so the text is the same.
_encode_result = c_make_encoder(None, _not_json, encode_basestring_ascii, None, ": ", ", ", False, False, True)


def render(document: dict[str, Any]) -> str:
    head = {k: v for k, v in document.items() if k not in ("results", "not_evaluated")}
    body = json.dumps(head, indent=1)[:-2]  # reopen the object before its "}"
    if "not_evaluated" in document:  # one entry per line, like the results (a plan may have thousands)
        body += ',\n "not_evaluated": ' + _array(document["not_evaluated"])
    return json_safe(body + ',\n "results": ' + _array(document["results"]) + "\n}\n")


def _array(items: list[Any]) -> str:
    return "[\n  " + ",\n  ".join(["".join(_encode_result(item, 0)) for item in items]) + "\n ]" if items else "[]"
