"""SARIF 2.1.0 for GitHub code scanning (and any other SARIF consumer).

One run; the driver lists every rule that was evaluated (and any rule id a result names that the
document's rules do not, e.g. a checkov check no pack cites), with help text (rationale, remediation and
a Terraform snippet), ``security-severity`` and tags (the HIPAA citations among them).  Results are
only what needs attention: FAIL (level from severity) and UNKNOWN (level ``note``, with the reason
the verdict could not be reached).  PASS, NOT_APPLICABLE and WAIVED are left out, so a waived or
fixed finding closes its code-scanning alert.

Locations.  Code scanning needs at least one physical location per result, with a path in the
repository:

- HCL results: the ``.tf`` file and the line of the resource's block, as checkov reports them;
- plan, state and Pulumi results: the scanned file at the line and column of the resource's
  object (`locations`: each input file read once, when the SARIF is written); line 1 when the
  file cannot be read again (stdin, a report re-rendered elsewhere);
  account/region-level verdicts carry no file, and get the one input of their source, if one;
- live results and stdin input (no file): ``location_uri`` when given (say ``infra/main.tf``),
  else ``aws/<account>/<region>``, a path that names where the resource lives.

Every result also has a logical location whose ``fullyQualifiedName`` is the resource address
(a Terraform address, a Pulumi URN, an ARN).  ``partialFingerprints`` hash the rule id and the
address, so an alert keeps its identity across runs and commits; the same value is given as
``primaryLocationLineHash``, which is the key GitHub matches on — without it, the upload action
would hash line 1 of the plan and merge every finding of a rule in that file into one alert.

Untrusted text (addresses, reasons) goes only into plain-text ``message.text``, escaped with
`escape.sarif_text`: SARIF reads ``[text](target)`` there as an embedded link.
"""
from __future__ import annotations

import hashlib
import json
import re
import urllib.parse
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from ..locations import Position, file_positions, position_of
from ..model import Status
from .escape import json_safe, sarif_text, truncate, visible

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
#: Where a reader of an alert learns about the tool.  The project publishes no homepage yet; the
#: package index page is where a released vendorguard lives.
INFORMATION_URI = "https://pypi.org/project/vendorguard/"

#: GitHub code scanning maps > 9.0 to critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
FINGERPRINT_KEY = "vendorguard/v1"
#: Only what needs attention becomes a result (see above).
_REPORTED = (Status.FAIL.value, Status.UNKNOWN.value)
_MESSAGE_LIMIT = 2000


def fingerprint(rule_id: str, address: str) -> str:
    """Stable across runs: the same rule on the same resource is the same alert."""
    return hashlib.sha256(f"{rule_id}\x00{address}".encode("utf-8", "surrogatepass")).hexdigest()[:32]


def render(document: dict[str, Any], location_uri: str | None = None,
           information_uri: str = INFORMATION_URI) -> str:
    return json_safe(json.dumps(sarif_log(document, location_uri, information_uri), indent=2)) + "\n"


def sarif_log(document: dict[str, Any], location_uri: str | None = None,
              information_uri: str = INFORMATION_URI) -> dict[str, Any]:
    catalog = list(document.get("rules") or [])
    known = {r["id"] for r in catalog}
    for result in document["results"]:  # e.g. a checkov check that no selected rule cites
        if result["status"] in _REPORTED and result["rule_id"] not in known:
            known.add(result["rule_id"])
            catalog.append({"id": result["rule_id"], "title": result["title"], "severity": result["severity"],
                            "domain": result["domain"], "rationale": result["title"], "remediation": {},
                            "references": {}})
    rules = [_rule(r) for r in catalog]
    index = {r["id"]: i for i, r in enumerate(catalog)}
    inputs: dict[str, list[str]] = {}
    for source in (document.get("scan") or {}).get("inputs") or []:
        inputs.setdefault(str(source.get("source")), []).append(str(source.get("origin")))
    located = _Located({origin for origins in inputs.values() for origin in origins})
    results = [_result(r, index, location_uri, inputs, located) for r in document["results"]
               if r["status"] in _REPORTED]
    tool = document.get("tool") or {}
    driver: dict[str, Any] = {
        "name": tool.get("name", "vendorguard"),
        "version": str(tool.get("version", "")),
        "informationUri": information_uri,
        "rules": rules,
    }
    if re.fullmatch(r"\d+\.\d+\.\d+([-+].*)?", driver["version"]):
        driver["semanticVersion"] = driver["version"]
    if not driver["version"]:
        del driver["version"]
    scan = document.get("scan") or {}
    invocation: dict[str, Any] = {"executionSuccessful": True}
    for key, field in (("startTimeUtc", "started"), ("endTimeUtc", "finished")):
        stamp = _utc(scan.get(field))
        if stamp:
            invocation[key] = stamp
    notifications = _notifications(scan)
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "invocations": [invocation],
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {
            "packs": [{"id": p["id"], "version": p.get("version"), "digest": p.get("digest")}
                      for p in scan.get("packs") or []],
            "summary": document.get("summary", {}).get("by_status", {}),
        },
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


# -- rules ----------------------------------------------------------------------------------------
def _rule(rule: dict[str, Any]) -> dict[str, Any]:
    severity = rule["severity"] if rule.get("severity") in LEVEL else "medium"
    refs = rule.get("references") or {}
    hipaa = [str(c) for c in refs.get("hipaa") or []]
    remediation = rule.get("remediation") or {}
    rationale = " ".join(str(rule.get("rationale") or "").split())
    tags = ["security", "compliance", "hipaa", rule["domain"]] + [f"HIPAA {c}" for c in hipaa]
    return {
        "id": rule["id"],
        "name": _pascal(rule["title"]) or rule["id"],
        "shortDescription": {"text": rule["title"]},
        "fullDescription": {"text": rationale or rule["title"]},
        "help": {"text": _help_text(rule, rationale, remediation, refs),
                 "markdown": _help_markdown(rule, rationale, remediation, refs)},
        "defaultConfiguration": {"level": LEVEL[severity]},
        "properties": {
            "security-severity": SECURITY_SEVERITY[severity],
            "severity": severity,
            "precision": "very-high",
            "tags": list(dict.fromkeys(tags)),
            "hipaa": hipaa,
        },
    }


def _pascal(title: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", title)
    return "".join(w[:1].upper() + w[1:] for w in words)[:120]


def _other_references(refs: dict[str, Any]) -> list[str]:
    names = {"checkov": "Checkov", "prowler": "Prowler", "aws_config": "AWS Config"}
    return [f"{names.get(k, k)}: {', '.join(map(str, v))}" for k, v in refs.items() if k != "hipaa" and v]


def _help_text(rule: dict[str, Any], rationale: str, remediation: dict[str, Any], refs: dict[str, Any]) -> str:
    parts = [f"{rule['title']}.", rationale]
    if remediation.get("text"):
        parts.append(f"Remediation: {' '.join(str(remediation['text']).split())}")
    if remediation.get("terraform"):
        parts.append("Terraform:\n" + str(remediation["terraform"]).rstrip())
    if refs.get("hipaa"):
        parts.append("HIPAA: " + ", ".join(f"45 CFR {c}" for c in refs["hipaa"]))
    parts.extend(_other_references(refs))
    return "\n\n".join(p for p in parts if p)


def _help_markdown(rule: dict[str, Any], rationale: str, remediation: dict[str, Any], refs: dict[str, Any]) -> str:
    from .escape import md_fence, md_text

    parts = [f"**{md_text(rule['title'])}**", md_text(rationale)]
    if remediation.get("text"):
        parts.append(f"**Remediation.** {md_text(' '.join(str(remediation['text']).split()))}")
    if remediation.get("terraform"):
        parts.append(md_fence(str(remediation["terraform"]), "hcl"))
    if refs.get("hipaa"):
        parts.append("**HIPAA:** " + ", ".join(f"45 CFR {md_text(c)}" for c in refs["hipaa"]))
    others = _other_references(refs)
    if others:
        parts.append("**Also checked by:** " + "; ".join(md_text(o) for o in others))
    return "\n\n".join(p for p in parts if p)


# -- results --------------------------------------------------------------------------------------
class _Located:
    """Positions of resources in the scanned files, each file read once, when a result first needs it."""

    def __init__(self, files: set[str]) -> None:
        self.files = files
        self.found: dict[str, dict[str, Position]] = {}

    def __call__(self, file: str, address: str) -> Position | None:
        if file not in self.files:
            return None
        if file not in self.found:
            self.found[file] = file_positions(file)
        return position_of(self.found[file], address)


def _result(result: dict[str, Any], index: dict[str, int], location_uri: str | None,
            inputs: dict[str, list[str]], located: _Located) -> dict[str, Any]:
    status = result["status"]
    severity = result["severity"] if result.get("severity") in LEVEL else "medium"
    address = str(result["address"])
    if status == Status.FAIL.value:
        level = LEVEL[severity]
        text = f"{result['title']}: {address} — {result['reason']}"
    else:
        level = "note"
        text = f"Could not be decided ({result['title']}): {address} — {result['reason']}"
    digest = fingerprint(result["rule_id"], address)
    out: dict[str, Any] = {
        "ruleId": result["rule_id"],
        "level": level,
        "message": {"text": truncate(sarif_text(text), _MESSAGE_LIMIT)},
        "locations": [{
            "physicalLocation": _physical(result, location_uri, inputs, located),
            "logicalLocations": [{"fullyQualifiedName": visible(address), "kind": "resource"}],
        }],
        "partialFingerprints": {FINGERPRINT_KEY: digest, "primaryLocationLineHash": digest},
        "properties": {
            "status": status,
            "severity": result["severity"],
            "domain": result["domain"],
            "resourceType": result["resource_type"],
            "source": result["source"],
            "account": _opt(result.get("account")),
            "region": _opt(result.get("region")),
            "controls": list(result.get("controls") or []),
        },
    }
    if result["rule_id"] in index:
        out["ruleIndex"] = index[result["rule_id"]]
    if result.get("baseline") in ("new", "existing"):
        out["baselineState"] = "new" if result["baseline"] == "new" else "unchanged"
    return out


def _physical(result: dict[str, Any], location_uri: str | None, inputs: dict[str, list[str]],
              located: _Located) -> dict[str, Any]:
    file = result.get("file")
    origins = inputs.get(str(result.get("source")), [])
    if not file and result.get("source") != "aws" and len(origins) == 1:
        # An account/region-level verdict from a plan or stack has no resource, so no file: it
        # came from the one input of its source.
        file = origins[0]
    if file and not str(file).startswith("<") and str(file) != "-":
        line = result.get("line")
        if isinstance(line, int) and line >= 1:
            region = {"startLine": line, "endLine": line}
        else:
            start, column = located(str(file), str(result["address"])) or (1, None)
            region = {"startLine": start, "endLine": start}
            if column is not None:
                region["startColumn"] = column
        return {"artifactLocation": {"uri": file_uri(visible(file))}, "region": region}
    if location_uri:
        uri = file_uri(visible(location_uri))
    else:
        where = [result.get("account") or "unknown-account", result.get("region") or "global"]
        uri = "/".join(["aws"] + [urllib.parse.quote(visible(w), safe="") for w in where])
    return {"artifactLocation": {"uri": uri}, "region": {"startLine": 1}}


def _opt(value: Any) -> str | None:
    return None if value is None else visible(value)


def file_uri(path: str) -> str:
    """A URI reference for a file path: relative stays relative (code scanning resolves it from
    the repository root), absolute becomes ``file://``; Windows separators become ``/``."""
    if re.match(r"^[A-Za-z]:[\\/]", path) or "\\" in path:
        pure = PureWindowsPath(path)
        if pure.is_absolute():
            return "file:///" + urllib.parse.quote(pure.as_posix())
        path = pure.as_posix()
    posix = PurePosixPath(path)
    if posix.is_absolute():
        return "file://" + urllib.parse.quote(str(posix))
    text = str(posix)
    return urllib.parse.quote(text[2:] if text.startswith("./") else text)


def _utc(stamp: Any) -> str | None:
    """RFC 3339 in UTC with a ``Z``, as SARIF asks for its date-time properties."""
    if not isinstance(stamp, str):
        return None
    from datetime import datetime, timezone

    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _notifications(scan: dict[str, Any]) -> list[dict[str, Any]]:
    """What could not be read (its rules are UNKNOWN results too) and the sources' notes."""
    out = []
    for source in scan.get("inputs") or []:
        for gap in source.get("unreadable") or []:
            where = "/".join(str(x) for x in (gap.get("account"), gap.get("region")) if x)
            out.append({"level": "warning", "message": {"text": sarif_text(
                f"could not read {gap.get('resource_type')}{' in ' + where if where else ''}: {gap.get('reason')}")}})
        for note in source.get("notes") or []:
            out.append({"level": "note", "message": {"text": truncate(sarif_text(note), _MESSAGE_LIMIT)}})
    return out
