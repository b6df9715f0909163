"""Where each resource is written in the JSON file it was read from: its line and column.

Code scanning shows an alert at the line its SARIF result points at; a plan finding at line 1 of
``plan.json`` tells a reviewer nothing.  So the SARIF writer asks here, once per input file, for
the position of every resource in it:

- a Terraform plan or ``terraform show -json`` state: the first ``"address": "<address>"`` — the
  resource's object in ``planned_values`` (or ``values``) ``…resources``;
- a Pulumi preview or stack export: the first ``"urn": "<urn>"`` — the step or the resource;
- a raw ``terraform.tfstate``: the resource's ``"module"`` (if any) or ``"mode": "managed",
  "type": …, "name": …`` — the resource, written once for all its instances.

One linear pass over the text per file, whatever the number of resources: a regular expression
finds the keys, and lines are counted only between one match and the next.  The positions are
looked up only for SARIF: no other format needs them, and a scan does not pay for them.
``terraform show -json`` writes the whole plan on one line; the column is what points there.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from .inputs import MAX_INPUT_BYTES

#: A JSON string, unrolled (``[^"\\]*(?:\\.[^"\\]*)*``): an alternation per character is ten times slower.
_STRING = r'"([^"\\]*(?:\\.[^"\\]*)*)"'
#: Plan/state address or Pulumi URN | a raw state's module (before its "mode") | a raw state's resource.
_KEY = re.compile(
    rf'"(?:address|urn)"\s*:\s*{_STRING}'
    rf'|"module"\s*:\s*{_STRING}\s*,\s*(?="mode")'
    rf'|"mode"\s*:\s*"(\w+)"\s*,\s*"type"\s*:\s*{_STRING}\s*,\s*"name"\s*:\s*{_STRING}')
#: A last step's instance key: ``[0]``, ``["blue"]``.
_INDEX = re.compile(r'\[(?:\d+|"(?:[^"\\]|\\.)*")\]$')

#: (line, column), both counted from 1, the column in Unicode code points.
Position = tuple[int, int]


def _text(raw: str) -> str:
    """A JSON string's content as the text it stands for."""
    if "\\" not in raw:
        return raw
    try:
        return json.loads(f'"{raw}"')
    except ValueError:
        return raw


def positions(text: str) -> dict[str, Position]:
    """Address (or URN) → where it is first written in `text`."""
    found: dict[str, Position] = {}
    line, line_start, counted = 1, 0, 0
    module: tuple[str, int] | None = None  # a raw state's "module" and where, before its resource's "mode"
    for match in _KEY.finditer(text):
        address, module_step, mode, rtype, name = match.groups()
        if module_step is not None:
            module = (_text(module_step), match.start())
            continue
        if mode is not None and mode != "managed":  # a data source: not checked
            module = None
            continue
        start = module[1] if module and mode else match.start()
        newlines = text.count("\n", counted, start)
        if newlines:
            line += newlines
            line_start = text.rindex("\n", counted, start) + 1
        counted = start
        if address is None:
            local = f"{_text(rtype)}.{_text(name)}"
            address = f"{module[0]}.{local}" if module else local
        else:
            address = _text(address)
        module = None
        found.setdefault(address, (line, start - line_start + 1))
    return found


def file_positions(path: str) -> dict[str, Position]:
    """`positions` of a file; empty when it cannot be read (stdin, a file gone since the scan, a
    report re-rendered elsewhere): the caller falls back to the top of the file."""
    file = Path(path)
    try:
        if not file.is_file() or file.stat().st_size > MAX_INPUT_BYTES:
            return {}
        return positions(file.read_bytes().decode("utf-8", "replace"))
    except OSError:
        return {}


def position_of(found: dict[str, Position], address: str) -> Position | None:
    """The resource's position; for an instance of a counted resource in a raw state (which writes
    the resource once, its instances inside), the resource's."""
    return found.get(address) or found.get(_INDEX.sub("", address))
