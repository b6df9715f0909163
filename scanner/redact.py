"""Marks unknown values and removes secret ones, before any rule or report sees a resource.

Sources describe unknowns and secrets with a mirror tree (Terraform's ``after_unknown`` and
``after_sensitive``: ``true`` at a path means the value there is unknown / sensitive).  Secrets are
replaced by REDACTED at ingestion, so no later stage — a reason, an evidence value, a debug log —
can print one.  `policies/sensitive.yaml` adds what the provider treats as secret even when the
input did not mark it.
"""
from __future__ import annotations

import json
import re
from functools import cache
from typing import Any, Iterable, Iterator

from .datafiles import shipped_yaml
from .model import REDACTED, UNKNOWN

Path = tuple[Any, ...]


def path_text(path: Path) -> str:
    return ".".join(str(p) for p in path)


def _mirror_paths(tree: Any, prefix: Path = ()) -> Iterator[Path]:
    """Paths where a mirror tree (after_unknown / after_sensitive) holds ``true``.  Most of a
    mirror is ``false`` and empty containers: only non-empty containers are walked into."""
    if tree is True:
        yield prefix
        return
    if isinstance(tree, dict):
        items: Iterable[tuple[Any, Any]] = tree.items()
    elif isinstance(tree, list):
        items = enumerate(tree)
    else:
        return
    for key, sub in items:
        if sub is True:
            yield prefix + (key,)
        elif sub and isinstance(sub, (dict, list)):
            yield from _mirror_paths(sub, prefix + (key,))


def set_path(attributes: dict[str, Any], path: Path, value: Any) -> None:
    """Set a value at a path, creating dicts and padding lists on the way (unknown parts of a plan
    are absent from ``after``)."""
    node: Any = attributes
    for step, nxt in zip(path, path[1:]):
        child = node[step] if _has(node, step) else None
        if not isinstance(child, (dict, list)):
            child = [] if isinstance(nxt, int) else {}
            _assign(node, step, child)
        node = child
    _assign(node, path[-1], value)


def _has(node: Any, step: Any) -> bool:
    if isinstance(node, dict):
        return step in node
    return isinstance(node, list) and isinstance(step, int) and step < len(node)


def _assign(node: Any, step: Any, value: Any) -> None:
    if isinstance(node, list):
        while len(node) <= step:
            node.append(None)
    node[step] = value


def mark_unknown(attributes: dict[str, Any], after_unknown: Any) -> frozenset[str]:
    """Put UNKNOWN wherever the mirror says the value is not known yet; returns the paths."""
    paths = []
    for path in _mirror_paths(after_unknown):
        if path:
            set_path(attributes, path, UNKNOWN)
            paths.append(path_text(path))
    return frozenset(paths)


def _scrub(value: Any) -> Any:
    """Redact every leaf, keeping nulls (absence is not a secret) and structure.  Iterative: a
    secret nested deeper than Python's stack is redacted too, not left behind by a crash."""

    def leaf(v: Any) -> Any:
        if isinstance(v, dict):
            return {}
        if isinstance(v, list):
            return []
        return v if v is None or v is UNKNOWN else REDACTED

    root = leaf(value)
    stack = [(value, root)]
    while stack:
        source, copy = stack.pop()
        if not isinstance(source, (dict, list)):
            continue
        for key, child in (source.items() if isinstance(source, dict) else enumerate(source)):
            scrubbed = leaf(child)
            if isinstance(copy, dict):
                copy[key] = scrubbed
            else:
                copy.append(scrubbed)
            if isinstance(child, (dict, list)):
                stack.append((child, scrubbed))
    return root


def _matches(node: Any, pattern: list[str], prefix: Path = ()) -> Iterator[Path]:
    """Concrete paths in `node` that a dotted pattern with `*` wildcards names."""
    if not pattern:
        yield prefix
        return
    head, rest = pattern[0], pattern[1:]
    if isinstance(node, dict):
        keys = list(node) if head == "*" else ([head] if head in node else [])
    elif isinstance(node, list):
        keys = list(range(len(node))) if head == "*" else []
    else:
        return
    for key in keys:
        yield from _matches(node[key], rest, prefix + (key,))


@cache
def _data() -> dict[str, Any]:
    return shipped_yaml("sensitive.yaml")


@cache
def _table() -> tuple[dict[str, list[list[str]]], list[list[str]], re.Pattern[str]]:
    data = _data()
    attributes = {t: [p.split(".") for p in paths] for t, paths in data["attributes"].items()}
    maps = [p.split(".") for p in data["secret_maps"]]
    return attributes, maps, re.compile(data["secret_key_pattern"])


def _withhold_condition_values(policy: Any) -> Any:
    """The policy with the values of secret condition keys (sts:ExternalId) withheld."""
    keys = {k.lower() for k in _data()["secret_condition_keys"]}
    document = policy
    if isinstance(policy, str):
        if "\\u" not in policy and not any(k in policy.lower() for k in keys):
            return policy  # names no such key, even escaped: nothing to parse (most policies)
        try:
            document = json.loads(policy)
        except ValueError:
            return policy
        except RecursionError:
            # Too deep to read, so too deep to edit: a text that names a secret key is withheld
            # whole; any other stays, and the rules that read it say it is nested too deeply.
            return REDACTED if any(k in policy.lower() for k in keys) else policy
    if not isinstance(document, dict):
        return policy
    changed = False
    statements = document.get("Statement")
    for statement in statements if isinstance(statements, list) else [statements]:
        condition = statement.get("Condition") if isinstance(statement, dict) else None
        for block in condition.values() if isinstance(condition, dict) else ():
            if isinstance(block, dict):
                for key in list(block):
                    if key.lower() in keys:
                        block[key] = REDACTED
                        changed = True
    # As JSON text either way: a withheld value inside an object would make every function that
    # reads the policy UNKNOWN, while only the condition's value is hidden.
    return json.dumps(document) if changed else policy


def _withhold_in_document(text: Any, patterns: list[list[str]]) -> tuple[Any, list[str]]:
    """A JSON-text attribute (or the document itself, as a Pulumi program may pass it) with the
    values at `patterns` inside it withheld, and the inner paths withheld.  The documents named in
    sensitive.yaml are lists; text that cannot be read as one is withheld whole (path ``""``): what
    cannot be parsed cannot be shown to hide nothing."""
    try:
        document = json.loads(text) if isinstance(text, str) else json.loads(json.dumps(text))
    except (ValueError, TypeError, RecursionError):
        document = None
    if not isinstance(document, list):
        return _scrub(text), [""]
    withheld = []
    for pattern in patterns:
        for path in _matches(document, pattern):
            current = _get(document, path)
            if current is not None and current != REDACTED:
                set_path(document, path, _scrub(current))
                withheld.append(path_text(path))
    if not withheld:
        return text, []
    return (json.dumps(document) if isinstance(text, str) else document), withheld


def _withhold_json_attributes(resource_type: str, attributes: dict[str, Any]) -> list[str]:
    """Withhold the secret parts of the type's JSON-text attributes in place; returns their paths."""
    done = []
    for name, patterns in _data().get("json_attributes", {}).get(resource_type, {}).items():
        value = attributes.get(name)
        if value is None or value is UNKNOWN or value == REDACTED:
            continue
        attributes[name], inner = _withhold_in_document(value, [p.split(".") for p in patterns])
        done.extend(f"{name}.{path}" if path else name for path in inner)
    return done


@cache
def _patterns_for(resource_type: str) -> tuple[tuple[str, ...], tuple[list[str], ...]]:
    """(top-level names, deeper patterns) that are secret for a type: most are plain top-level
    names, checked with one dict lookup each instead of a pattern walk."""
    by_type, _, _ = _table()
    patterns = by_type.get("*", []) + by_type.get(resource_type, [])
    names = tuple(dict.fromkeys(p[0] for p in patterns if len(p) == 1 and p[0] != "*"))
    return names, tuple(p for p in patterns if len(p) > 1 or p[0] == "*")


def _get(node: Any, path: Path) -> Any:
    for step in path:
        node = node[step]
    return node


def redact(resource_type: str, attributes: dict[str, Any], after_sensitive: Any = None) -> frozenset[str]:
    """Replace secret values in place (marked ones and the table's); returns the redacted paths."""
    _, maps, secret_key = _table()
    names, deeper = _patterns_for(resource_type)
    paths: list[Path] = [p for p in _mirror_paths(after_sensitive) if p] if after_sensitive else []
    paths.extend((name,) for name in names if attributes.get(name) is not None)
    for pattern in deeper:
        paths.extend(_matches(attributes, pattern))
    for pattern in maps:
        for map_path in _matches(attributes, pattern):
            mapping = _get(attributes, map_path)
            if isinstance(mapping, dict):
                paths.extend(map_path + (k,) for k in mapping if secret_key.search(str(k)))
    done = _withhold_json_attributes(resource_type, attributes)
    for name in _data()["policy_attributes"]:
        value = attributes.get(name)
        if value is not None and value is not UNKNOWN and value != REDACTED:
            withheld = _withhold_condition_values(value)
            if withheld is not value:
                attributes[name] = withheld
                done.append(name)
    for path in paths:
        try:
            current = _get(attributes, path)
        except (KeyError, IndexError, TypeError):
            continue  # marked sensitive but absent (e.g. unknown): nothing to hide
        if current is None or current is UNKNOWN:
            continue
        set_path(attributes, path, _scrub(current))
        done.append(path_text(path))
    return frozenset(done)
