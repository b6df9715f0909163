"""OSCAL assessment results: results documents as one NIST OSCAL ``assessment-results`` document.

An auditor's GRC tooling reads OSCAL, not our schema; `render` turns one scan into an
assessment-results document and `render_many` turns several (the store's latest scan of each
vendor) into one document with a ``result`` per scan.  Validated in the tests with
compliance-trestle's models of OSCAL `OSCAL_VERSION`.

How our data maps:

- **The plan.**  OSCAL requires ``import-ap``, a reference to an assessment plan.  There is no
  separate plan: the packs are the plan.  ``import-ap`` points at a back-matter resource naming
  each pack with its version and digest, so the reference resolves inside the document.
- **The tool.**  Each result's ``assessment-assets`` declares vendorguard as a component (and the
  platform using it); every observation, finding and risk names it as the ``tool`` actor.
- **Subjects.**  Each resource a result was given for is an ``inventory-item`` of that result,
  with its address, Terraform type, source, account and region as properties; so is each
  resource no selected rule evaluated, with the reason in a ``not-evaluated`` property (a scan
  says what it did not judge).
- **Observations**: one per result (a rule on a resource), method ``TEST`` (an automated test of
  the configuration), the rule's evidence as ``relevant-evidence``, collected when the scan ended.
- **Findings**: one per control, not per result: OSCAL's finding is a determination about a
  control objective (``target``), and an auditor asks "is 164.312(a)(2)(iv) met?"; the results
  behind it are its ``related-observations``.  A control none of whose results decided anything
  (no resource in scope, or only NOT_APPLICABLE) gets no finding: no determination was made.
- **Status.**  OSCAL knows two states, ``satisfied`` and ``not-satisfied``, with a reason
  ``pass``, ``fail`` or ``other``.  Any FAIL → not-satisfied / fail.  Otherwise any UNKNOWN or
  WAIVED → not-satisfied / other: "satisfied" asserts the objective was seen to be met, and we
  never PASS what was not seen; a waiver accepts a risk, it does not meet the control.  Only
  controls whose results all PASS (NOT_APPLICABLE aside) are satisfied / pass.
- **Risks**: one per FAIL (status ``open``) and per WAIVED result (``deviation-approved``), with
  the rule's rationale and remediation.
- **Control ids.**  ``control-id`` must be a token, and HIPAA citations are not
  (``164.312(a)(2)(iv)``): the id is the pack id and the citation with every run of other
  characters made ``_`` (``hipaa_164.312_a_2_iv``); the citation itself is kept verbatim in a
  ``control`` property of the selection and of the finding.
- **Identity.**  UUIDs are version 5, derived from the scan's identity (its times, inputs and
  result keys) and the thing's key (rule, account, region, address), so rendering the same
  document twice gives the same bytes, and the same scan read back from the store the same ids.
- **Untrusted text.**  Names, tags and reasons come from the scanned account.  Property values
  are plain strings: they hold the text as it is (JSON escaping only; controls made visible).
  Titles, descriptions and remarks are OSCAL markup — Markdown in OSCAL JSON — so untrusted text
  there goes through `escape.md_text`, which renders back as the same characters and nothing
  more (no raw HTML, no link).  Values the scan withheld as sensitive stay withheld: everything
  here comes from the results document, which never held them.
"""
from __future__ import annotations

import functools
import hashlib
import json
import re
import uuid
from collections import Counter
from datetime import datetime, timezone
from typing import Any

from ..model import Status
from ..errors import InputError
from .escape import json_safe, md_text, truncate, visible

#: The OSCAL release whose models the tests validate against (compliance-trestle's).
OSCAL_VERSION = "1.2.1"
#: The namespace of our own property names (OSCAL reserves un-namespaced names for its own).
NS = "https://vendorguard.dev/ns/oscal"
_ROOT = uuid.uuid5(uuid.NAMESPACE_URL, NS)
_NOT_TOKEN = re.compile(r"[^A-Za-z0-9._-]+")
#: One line, by json's C encoder: an indented dump goes through the pure-Python one, which takes
#: seconds on a plan of thousands of resources (`jq .` indents it for reading).
_ENCODER = json.JSONEncoder(separators=(",", ":"))
#: Characters of one untrusted value shown (a property, or within a title or description): enough
#: to read any real address, ARN or evidence value, and bounded for a 100 MB name.
_LIMIT = 2048


_PASS, _FAIL, _UNKNOWN = Status.PASS.value, Status.FAIL.value, Status.UNKNOWN.value
_WAIVED, _NA = Status.WAIVED.value, Status.NOT_APPLICABLE.value


def render(document: dict[str, Any], title: str | None = None) -> str:
    return render_many([document], title)


def render_many(documents: list[dict[str, Any]], title: str | None = None) -> str:
    """One assessment-results document holding one ``result`` per results document (OSCAL
    requires at least one)."""
    if not documents:
        raise InputError("oscal", "an assessment-results document needs at least one scan")
    identities = _identities(documents)
    plan = _plan_resource(documents)
    last = max(_stamp(d["scan"]["finished"]) for d in documents)
    origins = ", ".join(i["origin"] for d in documents for i in d["scan"]["inputs"])
    tools = sorted({f"{d['tool']['name']} {d['tool']['version']}" for d in documents})
    out = {"assessment-results": {
        "uuid": str(uuid.uuid5(_ROOT, json.dumps(["assessment-results", identities]))),
        "metadata": {
            "title": _markup(title or f"vendorguard assessment of {origins or 'no input'}"),
            "last-modified": last,
            "version": last,
            "oscal-version": OSCAL_VERSION,
            "props": [_prop("tool", t) for t in tools],
        },
        "import-ap": {"href": f"#{plan['uuid']}",
                      "remarks": "The plan is the packs the scans ran, described in the back matter."},
        "results": [_result(d, identity) for d, identity in zip(documents, identities)],
        "back-matter": {"resources": [plan]},
    }}
    return json_safe(_ENCODER.encode(_pruned(out))) + "\n"


# -- identity -----------------------------------------------------------------------------------
def _identities(documents: list[dict[str, Any]]) -> list[str]:
    """One stable identity per scan: a digest of when it ran, what it read and which results it
    gave (not of the whole document, which the store annotates).  Identical scans in one call are
    told apart by their position."""
    seen: Counter[str] = Counter()
    out = []
    for document in documents:
        scan = document["scan"]
        key = json.dumps([scan["started"], scan["finished"],
                          [[i["source"], i["origin"], i.get("resources")] for i in scan["inputs"]],
                          [[r["rule_id"], r.get("account"), r.get("region"), r["address"], r["status"]]
                           for r in document["results"]]])
        digest = hashlib.sha256(key.encode()).hexdigest()
        seen[digest] += 1
        out.append(digest if seen[digest] == 1 else f"{digest}#{seen[digest]}")
    return out


class _Ids:
    """Version-5 UUIDs for the things of one scan, each from its kind and key; a key met twice (the
    same address in two plan files of one scan) gets a distinct id by its occurrence."""

    def __init__(self, identity: str) -> None:
        self.scan = uuid.uuid5(_ROOT, identity)
        self.seen: Counter[str] = Counter()

    def __call__(self, kind: str, *key: Any) -> str:
        return str(uuid.uuid5(self.scan, json.dumps([kind, *key])))

    def unique(self, kind: str, *key: Any) -> str:
        name = json.dumps([kind, *key])
        self.seen[name] += 1
        return self(kind, *key, self.seen[name])


# -- one result per scan --------------------------------------------------------------------------
def _result(document: dict[str, Any], identity: str) -> dict[str, Any]:
    ids = _Ids(identity)
    scan = document["scan"]
    finished = _stamp(scan["finished"])
    tool = ids("tool")
    origin = [{"actors": [{"type": "tool", "actor-uuid": tool}]}]
    rules = {r["id"]: r for r in document.get("rules") or []}
    inventory: dict[tuple[Any, ...], dict[str, Any]] = {}
    observations, risks = [], []
    by_control: dict[str, list[tuple[str, str, str | None]]] = {}  # control → (status, observation, risk)
    for result in document["results"]:
        subject = (result.get("source"), result.get("file"), result.get("account"), result.get("region"),
                   result["address"], result["resource_type"])
        shown = _bounded(result)
        if subject not in inventory:
            inventory[subject] = _inventory_item(ids("subject", *subject), shown)
        observation = _observation(ids.unique("observation", result["rule_id"], *subject), shown,
                                   inventory[subject]["uuid"], origin, finished)
        observations.append(observation)
        risk = None
        if result["status"] in (_FAIL, _WAIVED):
            risk = _risk(ids.unique("risk", result["rule_id"], *subject), shown, rules.get(result["rule_id"]),
                         observation["uuid"], origin, ids)
            risks.append(risk)
        for control in result.get("controls") or []:
            by_control.setdefault(control, []).append((result["status"], observation["uuid"],
                                                       risk and risk["uuid"]))
    judged = len(inventory)
    for entry in document.get("not_evaluated") or []:  # in the inventory too, marked as not judged
        subject = (None, None, None, None, entry["address"], entry["resource_type"])
        item = inventory.setdefault(subject, _inventory_item(ids("subject", *subject), _bounded(entry)))
        item["props"].append(_prop("not-evaluated", entry["reason"]))
    controls = _controls(scan["packs"], by_control)
    findings = [f for f in (_finding(ids("finding", key), info, by_control.get(key, []), origin)
                            for key, info in controls.items()) if f]
    undecided = [info["citation"] for key, info in controls.items() if not _decided(by_control.get(key, []))]
    counts = Counter(r["status"] for r in document["results"])
    inputs = "; ".join(f"{i.get('title') or i['source']} {i['origin']} ({i['resources']} resources)"
                       for i in scan["inputs"])
    return {
        "uuid": str(ids.scan),
        "title": _markup(f"vendorguard scan of {', '.join(i['origin'] for i in scan['inputs']) or 'no input'}"),
        "description": _markup(f"{inputs or 'No input'}: "
                               + ", ".join(f"{s} {counts[s]}" for s in (_PASS, _FAIL, _UNKNOWN, _WAIVED, _NA))
                               + f" on {judged} subjects; {len(inventory) - judged} more not evaluated."),
        "start": _stamp(scan["started"]),
        "end": finished,
        "props": [_prop("vendor", scan.get("vendor")), _prop("scan-id", scan.get("id"))],
        "local-definitions": {
            "inventory-items": list(inventory.values()),
            "assessment-assets": {
                "components": [{"uuid": tool, "type": "software", "title": _markup(f"{document['tool']['name']} "
                                                                                   f"{document['tool']['version']}"),
                                "description": "Checks cloud configurations holding health data against rules.",
                                "status": {"state": "operational"},
                                "props": [_prop("version", document["tool"]["version"])]}],
                "assessment-platforms": [{"uuid": ids("platform"), "title": "vendorguard",
                                          "uses-components": [{"component-uuid": tool}]}],
            },
        },
        "reviewed-controls": {"control-selections": _selections(scan["packs"], controls)},
        "observations": observations,
        "risks": risks,
        "findings": findings,
        "remarks": _markup("No determination (no subject in scope, or none the rules apply to): "
                           + ", ".join(undecided)) if undecided else None,
    }


def _controls(packs: list[dict[str, Any]], by_control: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every control the packs select, then any a result cites outside them, keyed as results cite
    them (``pack:citation``), each with its token; a token two citations would share is made
    unique with a digest of the citation."""
    out: dict[str, dict[str, Any]] = {}
    for pack in packs:
        for control in pack["controls"]:
            out.setdefault(f"{pack['id']}:{control['id']}", {"title": control["title"]})
    for key in by_control:
        out.setdefault(key, {"title": ""})
    tokens: set[str] = set()
    for key, info in out.items():
        pack, _, citation = key.partition(":")
        token = _token(f"{pack}_{citation}")
        if token in tokens:
            token += "-" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        tokens.add(token)
        info.update(pack=pack, citation=citation, token=token)
    return out


def _selections(packs: list[dict[str, Any]], controls: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One control selection per pack with controls (and one per pack a result cites that the
    scan did not list), each control's citation kept in a ``control`` property whose class is its
    token.  A scan without any control still needs a selection: "all", said to be none."""
    listed = {p["id"]: p for p in packs}
    selections = []
    for pack in dict.fromkeys([*listed, *(i["pack"] for i in controls.values())]):
        chosen = [i for i in controls.values() if i["pack"] == pack]
        if not chosen:
            continue
        about = listed.get(pack)
        selections.append({
            "description": _markup(about["title"] if about else f"Controls of {pack} cited by results"),
            "props": [_prop("pack", f"{pack} {about['version']} {about['digest']}" if about else pack)]
            + [_prop("control", i["citation"], key=i["token"]) for i in chosen],
            "include-controls": [{"control-id": i["token"]} for i in chosen]})
    return selections or [{"description": "No pack control was selected.", "include-all": {}}]


def _token(text: str) -> str:
    """An OSCAL token (an XML NCName): other characters become ``_``, and it starts with a letter
    or ``_``."""
    token = _NOT_TOKEN.sub("_", visible(text)).strip("_") or "_"
    return token if re.match(r"[A-Za-z_]", token) else f"_{token}"


# -- the parts ------------------------------------------------------------------------------------
def _inventory_item(uid: str, result: dict[str, Any]) -> dict[str, Any]:
    return {
        "uuid": uid,
        "description": _markup(f"{result['resource_type']} {result['address']}"),
        "props": [_prop("address", result["address"]), _prop("resource-type", result["resource_type"]),
                  _prop("source", result.get("source")), _prop("file", result.get("file")),
                  _prop("account", result.get("account")), _prop("region", result.get("region"))],
    }


def _observation(uid: str, result: dict[str, Any], subject: str, origin: list[dict[str, Any]],
                 collected: str) -> dict[str, Any]:
    status = result["status"]
    evidence = [_prop("evidence", f"{key} = {json.dumps(value, ensure_ascii=False, sort_keys=True)}")
                for key, value in sorted((result.get("evidence") or {}).items())]
    waiver = result.get("waiver") or {}
    return {
        "uuid": uid,
        "title": _markup(f"{result['rule_id']} {status} on {result['address']}"),
        "description": _markup(f"{result['title']}: {status}."),
        "props": [_prop("rule-id", result["rule_id"]), _prop("result", status),
                  _prop("severity", result["severity"]), _prop("domain", result["domain"]),
                  _prop("line", result.get("line")), _prop("baseline", result.get("baseline"))],
        "methods": ["TEST"],
        "types": ["finding"] if status == _FAIL else ["control-objective"],
        "origins": origin,
        "subjects": [{"subject-uuid": subject, "type": "inventory-item"}],
        "relevant-evidence": [{"description": _markup(result.get("reason") or status), "props": evidence}],
        "collected": collected,
        "remarks": _markup(f"Waived until {waiver.get('expires') or 'no expiry'} by "
                           f"{waiver.get('approved_by') or 'unknown'}: {waiver.get('justification') or ''}")
        if status == _WAIVED else None,
    }


def _risk(uid: str, result: dict[str, Any], rule: dict[str, Any] | None, observation: str,
          origin: list[dict[str, Any]], ids: _Ids) -> dict[str, Any]:
    rule = rule or {}
    remedy = " ".join(str((rule.get("remediation") or {}).get("text") or "").split())
    return {
        "uuid": uid,
        "title": _markup(f"{result['title']} — {result['address']}"),
        "description": _markup(" ".join(str(rule.get("rationale") or result["title"]).split())),
        "statement": _markup(result.get("reason") or result["title"]),
        "props": [_prop("severity", result["severity"]), _prop("rule-id", result["rule_id"])],
        "status": "deviation-approved" if result["status"] == _WAIVED else "open",
        "origins": origin,
        "remediations": [{"uuid": ids("remediation", uid), "lifecycle": "recommendation",
                          "title": _markup(f"Fix {result['rule_id']}"), "description": _markup(remedy),
                          "origins": origin}] if remedy else None,
        "related-observations": [{"observation-uuid": observation}],
    }


def _decided(entries: list[tuple[str, str, str | None]]) -> bool:
    return any(status != _NA for status, _, _ in entries)


def _finding(uid: str, info: dict[str, Any], entries: list[tuple[str, str, str | None]],
             origin: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The determination about one control, from the results of its rules (see the module's
    docstring for why UNKNOWN and WAIVED are not satisfied)."""
    if not _decided(entries):
        return None
    counts = Counter(status for status, _, _ in entries)
    if counts[_FAIL]:
        state, reason = "not-satisfied", "fail"
    elif counts[_UNKNOWN] or counts[_WAIVED]:
        state, reason = "not-satisfied", "other"
    else:
        state, reason = "satisfied", "pass"
    tally = ", ".join(f"{s} {counts[s]}" for s in (_PASS, _FAIL, _UNKNOWN, _WAIVED, _NA) if counts[s])
    title = _markup(f"{info['pack']} {info['citation']}" + (f" {info['title']}" if info["title"] else ""))
    why = {"fail": "at least one result failed", "pass": "every result passed",
           "other": "no result failed, but some could not be decided (UNKNOWN) or were waived: "
                    "not satisfied until they are seen to pass"}[reason]
    return {
        "uuid": uid,
        "title": title,
        "description": _markup(f"{tally}: {why}."),
        "props": [_prop("control", info["citation"], key=info["token"])],
        "origins": origin,
        "target": {"type": "objective-id", "target-id": info["token"], "title": title,
                   "status": {"state": state, "reason": reason}},
        "related-observations": [{"observation-uuid": obs} for status, obs, _ in entries if status != _NA],
        "related-risks": [{"risk-uuid": risk} for _, _, risk in entries if risk],
    }


def _plan_resource(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """The back-matter resource ``import-ap`` points at: the packs the scans ran."""
    packs = sorted({(p["id"], p["title"], p["version"], p["digest"]) for d in documents for p in d["scan"]["packs"]})
    listing = "\n".join(f"- {_markup(t)} ({_markup(i)} {_markup(v)}, {_markup(g)})" for i, t, v, g in packs)
    return {
        "uuid": str(uuid.uuid5(_ROOT, json.dumps(["plan", packs]))),
        "title": "The vendorguard packs the scans ran (the assessment plan)",
        "description": listing or "No pack.",
        "props": [_prop("pack", f"{i} {v} {g}") for i, _, v, g in packs],
    }


# -- helpers --------------------------------------------------------------------------------------
def _prop(name: str, value: Any, key: str | None = None) -> dict[str, Any] | None:
    """A property in our namespace, or None for a value that is absent or blank (OSCAL values
    are one line, non-empty, without surrounding blanks).  `key` becomes the ``class``."""
    if value is None:
        return None
    text = truncate(visible(truncate(str(value), _LIMIT)).strip(), _LIMIT)
    if not text:
        return None
    prop = {"name": name, "ns": NS, "value": text}
    if key:
        prop["class"] = key
    return prop


def _markup(text: str) -> str:
    """OSCAL markup (Markdown) showing untrusted `text` as it is (`escape.md_text`), cut first."""
    return _md_text(truncate(text, _LIMIT))


@functools.lru_cache(maxsize=4096)
def _md_text(text: str) -> str:
    """`escape.md_text`, once per text: rule titles, statuses and citations repeat on every result."""
    return md_text(text)


def _bounded(result: dict[str, Any]) -> dict[str, Any]:
    """`result` with its address, title and reason cut for display (the result itself when short):
    text is built around them, and a 100 MB name must not be copied into every sentence."""
    long = {k: truncate(v, _LIMIT) for k in ("address", "title", "reason")
            if isinstance(v := result.get(k), str) and len(v) > _LIMIT}
    return {**result, **long} if long else result


def _stamp(stamp: str) -> str:
    """A date-time in UTC with a ``Z`` (OSCAL requires the zone)."""
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _pruned(value: Any) -> Any:
    """Without None and empty lists: OSCAL lists hold at least one item, and absent is absent."""
    if isinstance(value, dict):
        pruned = {k: _pruned(v) for k, v in value.items() if v is not None}
        return {k: v for k, v in pruned.items() if v != []}
    if isinstance(value, list):
        return [_pruned(v) for v in value if v is not None]
    return value
