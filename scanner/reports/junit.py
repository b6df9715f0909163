"""JUnit XML, for CI systems that show test reports (GitLab, Jenkins, Azure Pipelines, …).

One ``<testsuite>`` per domain, one ``<testcase>`` per rule × resource: ``classname`` is the rule
id, ``name`` the resource address.  FAIL → ``<failure>`` (message: the reason; type: the
severity; body: the rule, resource, reason, evidence, controls and remediation).  UNKNOWN,
NOT_APPLICABLE and WAIVED → ``<skipped>`` with the reason (for WAIVED: the justification, who
approved it and until when).  PASS → an empty test case.

Everything is built with `xml.etree.ElementTree`, which escapes markup; untrusted text first goes
through `escape.xml_text`, since ElementTree writes control characters as they are (an ESC would
make the file unparseable, and act in a CI log that prints the message).
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from ..model import DOMAINS, Status
from .escape import truncate, xml_text

_MESSAGE_LIMIT = 1000
_EVIDENCE_LIMIT = 4000
#: Neither passed nor failed: each is a ``<skipped>`` case.
_SKIPPED = (Status.UNKNOWN.value, Status.NOT_APPLICABLE.value, Status.WAIVED.value)


def render(document: dict[str, Any]) -> str:
    root = build(document)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def build(document: dict[str, Any]) -> ET.Element:
    rules = {r["id"]: r for r in document.get("rules") or []}
    by_domain: dict[str, list[dict[str, Any]]] = {}
    for result in document["results"]:
        by_domain.setdefault(result["domain"], []).append(result)
    order = {d: i for i, d in enumerate(DOMAINS)}
    tool = document.get("tool") or {}
    scan = document.get("scan") or {}
    root = ET.Element("testsuites", {"name": xml_text(tool.get("name", "vendorguard"))})
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for domain in sorted(by_domain, key=lambda d: (order.get(d, len(order)), d)):
        results = sorted(by_domain[domain], key=lambda r: (r["rule_id"], str(r["address"])))
        counts = {
            "tests": len(results),
            "failures": sum(r["status"] == Status.FAIL.value for r in results),
            "errors": 0,
            "skipped": sum(r["status"] in _SKIPPED for r in results),
        }
        suite = ET.SubElement(root, "testsuite", {"name": xml_text(domain), **{k: str(v) for k, v in counts.items()},
                                                   "time": "0"})
        if scan.get("started"):
            suite.set("timestamp", xml_text(scan["started"]))
        for result in results:
            _testcase(suite, result, rules.get(result["rule_id"]))
        for key in totals:
            totals[key] += counts[key]
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", "0")
    return root


def _testcase(suite: ET.Element, result: dict[str, Any], rule: dict[str, Any] | None) -> None:
    case = ET.SubElement(suite, "testcase", {
        "classname": xml_text(result["rule_id"]),
        "name": xml_text(result["address"]),
        "time": "0",
    })
    file = result.get("file")
    if file and not str(file).startswith("<"):
        case.set("file", xml_text(file))
        if isinstance(result.get("line"), int):
            case.set("line", str(result["line"]))
    status = result["status"]
    reason = xml_text(result.get("reason") or "")
    if status == Status.FAIL.value:
        failure = ET.SubElement(case, "failure", {"message": truncate(reason, _MESSAGE_LIMIT),
                                                  "type": xml_text(result["severity"])})
        failure.text = _details(result, rule)
    elif status == Status.WAIVED.value:
        ET.SubElement(case, "skipped", {"message": truncate(f"{status}: {_waiver(result)}", _MESSAGE_LIMIT)})
    elif status in _SKIPPED:
        ET.SubElement(case, "skipped", {"message": truncate(f"{status}: {reason}", _MESSAGE_LIMIT)})


def _waiver(result: dict[str, Any]) -> str:
    waiver = result.get("waiver") or {}
    text = str(waiver.get("justification") or result.get("reason") or "waived")
    extra = [f"approved by {waiver['approved_by']}" if waiver.get("approved_by") else "",
             f"expires {waiver['expires']}" if waiver.get("expires") else ""]
    extra = [e for e in extra if e]
    return xml_text(text + (f" ({', '.join(extra)})" if extra else ""))


def _details(result: dict[str, Any], rule: dict[str, Any] | None) -> str:
    where = ", ".join(str(x) for x in (result.get("resource_type"), result.get("account"), result.get("region")) if x)
    lines = [
        f"{result['rule_id']} ({result['severity']}, {result['domain']}): {result['title']}",
        f"resource: {result['address']} ({where})",
        f"reason: {result.get('reason') or ''}",
    ]
    if result.get("evidence"):
        evidence = json.dumps(result["evidence"], indent=2, sort_keys=True, ensure_ascii=False, default=str)
        lines.append("evidence:\n" + truncate(evidence, _EVIDENCE_LIMIT))
    if result.get("controls"):
        lines.append("controls: " + ", ".join(map(str, result["controls"])))
    if result.get("baseline"):
        lines.append(f"baseline: {result['baseline']}")
    remediation = (rule or {}).get("remediation") or {}
    if remediation.get("text"):
        lines.append("remediation: " + " ".join(str(remediation["text"]).split()))
    return xml_text("\n".join(lines), multiline=True)

