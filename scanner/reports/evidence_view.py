"""The attribute values a rule looked at, shown so an auditor can read them on screen and on paper.

Policies (a JSON string that parses to an IAM policy document) are decoded and shown statement by
statement, with the statements that decide the result marked; lists are lists, objects are name →
value, nothing is cut.  Attribute *names* never break inside a word (the style sheet keeps them
whole); only values may wrap anywhere.  Every value is escaped on its way in: all of it comes from
the scanned environment.
"""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from ..model import REDACTED, UNKNOWN_MARK, Status
from .html_kit import e

#: Deeper than this, a value is shown as indented JSON rather than nested lists.
MAX_DEPTH = 6


def unknown_paths(value: Any, path: str = "") -> list[str]:
    """The paths inside an evidence value that were not visible to the scanner."""
    if value == UNKNOWN_MARK:
        return [path or "(value)"]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in unknown_paths(v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in unknown_paths(v, f"{path}[{i}]")]
    return []


def _policy(value: Any) -> dict[str, Any] | None:
    """The policy document a value holds (JSON text or an object with a ``Statement``), or None."""
    if isinstance(value, str) and value[:1] == "{":
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            return None
    if isinstance(value, dict) and "Statement" in value:
        return value
    return None


def _statements(policy: dict[str, Any]) -> list[Any]:
    found = policy.get("Statement")
    return found if isinstance(found, list) else [found]


@lru_cache(maxsize=256)
def _compiled(condition: str) -> Any:
    """A rule's condition compiled once per report, however many policies it is asked about."""
    from ..catalog import compiler  # the JMESPath machinery: only a report showing policies needs it

    return compiler().compile(condition)


def _verdict(condition: Any, attributes: dict[str, Any], account: Any) -> bool | None:
    """The rule's condition on `attributes`: True (pass), False (fail), None (cannot tell)."""
    from jmespath.exceptions import JMESPathError

    from ..condition import contains_unknown, is_false
    from ..context import EvalContext

    try:
        outcome = _compiled(str(condition))(attributes, EvalContext(account=account))
    except (JMESPathError, TypeError, ValueError, RecursionError):  # a saved document's condition may be anything
        return None
    if contains_unknown(outcome):
        return None
    return not is_false(outcome)


def deciding_statements(name: str, policy: dict[str, Any], evidence: dict[str, Any],
                        rule: dict[str, Any] | None, result: dict[str, Any]) -> set[int]:
    """Which statements decide the result, found by asking the rule itself: the result's verdict is
    re-derived from the evidence, then from the policy with no statements, then from each statement
    alone.  A statement decides when, alone, it gives the result's verdict and the empty policy
    does not (a grant that fails a rule, a Deny that passes one).  When the empty policy already
    gives the verdict (a required statement is missing), no statement decides and none is marked."""
    status = result.get("status")
    if not rule or not rule.get("condition") or status not in (Status.FAIL.value, Status.PASS.value,
                                                                Status.WAIVED.value):
        return set()
    account = result.get("account")

    def verdict(statements: list[Any]) -> bool | None:
        doc = dict(policy, Statement=statements)
        return _verdict(rule["condition"], dict(evidence, **{name: json.dumps(doc)}), account)

    whole = verdict(_statements(policy))
    if whole is None or whole != (status == Status.PASS.value) or verdict([]) == whole:
        return set()  # the verdict is not re-derived from the evidence, or needs no statement
    return {i for i, s in enumerate(_statements(policy)) if verdict([s]) == whole}


def _scalar(value: Any) -> str:
    if value == UNKNOWN_MARK:
        return '<span class="mark unk">(unknown: not visible to the scanner)</span>'
    if value == REDACTED:
        return '<span class="mark sens">(sensitive: withheld, never shown)</span>'
    if value is None:
        return '<code class="val">null</code> <span class="note">(not set)</span>'
    if isinstance(value, str):
        return f'<code class="val">{e(value)}</code>' if value else '<code class="val">""</code> <span class="note">(empty)</span>'
    return f'<code class="val">{e(json.dumps(value))}</code>'


def value_html(value: Any, depth: int = 0) -> str:
    """A value as a reader sees it: scalars as code, lists as lists, objects as name → value."""
    if isinstance(value, str) and value[:1] in "{[" and value not in (UNKNOWN_MARK, REDACTED):
        try:
            decoded = json.loads(value)
        except (ValueError, RecursionError):
            decoded = None
        if isinstance(decoded, (dict, list)):
            return value_html(decoded, depth) + '<div class="note">a JSON document (a string in the resource), shown decoded</div>'
    if depth >= MAX_DEPTH and isinstance(value, (dict, list)):
        return f'<pre class="val">{e(json.dumps(value, indent=2, ensure_ascii=False, default=str))}</pre>'
    if isinstance(value, list):
        if not value:
            return '<code class="val">[]</code> <span class="note">(empty list)</span>'
        return '<ul class="vlist">' + "".join(f"<li>{value_html(v, depth + 1)}</li>" for v in value) + "</ul>"
    if isinstance(value, dict):
        if not value:
            return '<code class="val">{}</code> <span class="note">(empty)</span>'
        return '<dl class="vobj">' + "".join(f'<dt class="attr">{e(k)}</dt><dd>{value_html(v, depth + 1)}</dd>'
                                             for k, v in value.items()) + "</dl>"
    return _scalar(value)


def policy_html(policy: dict[str, Any], marked: set[int]) -> str:
    """A policy document statement by statement, each pretty-printed whole, deciding ones marked."""
    head = {k: v for k, v in policy.items() if k != "Statement"}
    parts = ['<div class="policy"><span class="label">Policy document, decoded</span>']
    if head:
        parts.append('<pre class="val">' + e(json.dumps(head, indent=2, ensure_ascii=False, default=str)) + "</pre>")
    statements = _statements(policy)
    for i, statement in enumerate(statements):
        decides = i in marked
        sid = statement.get("Sid") if isinstance(statement, dict) else None
        title = f"Statement {i + 1} of {len(statements)}" + (f" — Sid {e(sid)}" if sid else "")
        mark = ' <strong class="decides-mark">\u25c0 decides this result</strong>' if decides else ""
        parts.append(f'<div class="stmt{" decides" if decides else ""}"><div class="stmt-h">{title}{mark}</div>'
                     f'<pre class="val">{e(json.dumps(statement, indent=2, ensure_ascii=False, default=str))}</pre></div>')
    parts.append("</div>")
    return "".join(parts)


def evidence_html(result: dict[str, Any], rule: dict[str, Any] | None) -> str:
    """The result's evidence: each attribute the rule looked at, its name kept whole, its value
    readable (policies decoded with the deciding statements marked)."""
    evidence = result.get("evidence")
    if not isinstance(evidence, dict):
        return f'<div class="evidence">{value_html(evidence)}</div>'
    if not evidence:
        return '<p class="note">No attribute values were recorded for this result.</p>'
    items = []
    for name, value in evidence.items():
        policy = _policy(value) if value not in (UNKNOWN_MARK, REDACTED) else None
        if policy is not None:
            marked = deciding_statements(str(name), policy, evidence, rule, result)
            shown = policy_html(policy, marked)
            if not marked and result.get("status") == Status.FAIL.value:
                shown += ('<p class="note">No single statement decides this result: it follows from what the '
                          "policy lacks, or from the other values shown.</p>")
        else:
            shown = value_html(value)
        items.append(f'<dt class="attr">{e(name)}</dt><dd>{shown}</dd>')
    return ('<div class="evidence"><span class="label">Attribute values the rule looked at</span>'
            f'<dl class="kv">{"".join(items)}</dl></div>')
