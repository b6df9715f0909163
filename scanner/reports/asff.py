"""AWS Security Finding Format (ASFF): a results document as Security Hub findings.

`render` writes a JSON list of findings — what ``BatchImportFindings`` takes, and what
``aws securityhub batch-import-findings --findings file://FILE`` reads.  Importing them into
Security Hub (``vendorguard export securityhub``) is not a report format: `scanner.securityhub`
does it, from the findings `build_findings` makes here.

Decisions:

- **Which results.**  FAIL → ``Compliance.Status`` FAILED with the rule's severity.  UNKNOWN →
  WARNING ("some information is missing", in Security Hub's words) with severity INFORMATIONAL:
  the account's dashboards should show it without ranking a guess next to real failures
  (``include_unknown=False`` leaves them out; the rule's own severity is kept in
  ``ProductFields``).  PASS and WAIVED are left out unless ``include_resolved=True``; then they
  are INFORMATIONAL with ``RecordState`` ARCHIVED, which closes a finding imported by an earlier
  run (the Id is the same): PASS as PASSED, WAIVED as WARNING (the control is still not met — the
  risk is accepted) with the justification, approver and expiry in the description.
  NOT_APPLICABLE is never exported.
- **Which account.**  A finding needs ``AwsAccountId`` (and the ProductArn names it).  A live
  result has its account; a plan result has one only when the plan or ``--account`` gave it.  For
  the others, the `account` option is used; without it they are skipped, and each skipped rule is
  named in the notes `build_findings` returns (`render` logs them as a warning).
- **Which region.**  The result's region; for global resources (IAM, account-level settings) and
  results without one, the `region` option, else us-east-1.  Security Hub accepts a finding only
  in the region its ProductArn names, so `securityhub.export_securityhub` uses one client per region.
- **Identity.**  ``Id`` is ``vendorguard/<rule>/<hash of rule, account, region, address>``: the
  same rule on the same resource updates one finding across runs instead of piling up copies.
  ``CreatedAt``/``UpdatedAt`` are the scan's finish time.
- **Resources.**  ``Id`` is the address (an ARN for live results, a Terraform address or Pulumi URN
  otherwise); ``Type`` is the ASFF type where the mapping is plain and the Id is an ARN
  (``AwsS3Bucket``, …: the type's ``asff`` in ``policies/types.yaml``), ``AwsAccount`` (Id
  ``AWS::::Account:<id>``) for account/region-level rules, ``Other`` elsewhere; the Terraform
  type and the source are in ``Details.Other``.
- **Text.**  Titles, descriptions and remediation are cut to Security Hub's limits (256, 1024 and
  512 characters); untrusted text has its control characters made visible (`escape.visible`).
"""
from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timezone
from typing import Any

from ..model import SEVERITIES, Status
from ..types import asff_type
from .escape import json_safe, truncate, visible

log = logging.getLogger(__name__)

SCHEMA_VERSION = "2018-10-08"
FINDING_TYPE = "Software and Configuration Checks/Industry and Regulatory Standards/HIPAA Controls (USA)"
DEFAULT_REGION = "us-east-1"

#: Security Hub's severity labels are ours in capitals.
_LABEL = {s: s.upper() for s in SEVERITIES}


def render(document: dict[str, Any], account: str | None = None, region: str | None = None,
           include_unknown: bool = True, include_resolved: bool = False) -> str:
    findings, notes = build_findings(document, account=account, region=region,
                                     include_unknown=include_unknown, include_resolved=include_resolved)
    for note in notes:
        log.warning("asff: %s", note)
    return json_safe(json.dumps(findings, indent=2)) + "\n"


def build_findings(document: dict[str, Any], account: str | None = None, region: str | None = None,
                   include_unknown: bool = True, include_resolved: bool = False
                   ) -> tuple[list[dict[str, Any]], list[str]]:
    """(findings, notes): the ASFF findings for a results document, and one note per rule whose
    results were skipped for want of an account."""
    wanted = {Status.FAIL.value} | ({Status.UNKNOWN.value} if include_unknown else set()) | (
        {Status.PASS.value, Status.WAIVED.value} if include_resolved else set())
    rules = {r["id"]: r for r in document.get("rules") or []}
    stamp = _timestamp((document.get("scan") or {}).get("finished"))
    findings: list[dict[str, Any]] = []
    skipped: dict[str, int] = {}
    for result in document["results"]:
        if result["status"] not in wanted:
            continue
        owner = result.get("account") or account
        if not owner:
            skipped[result["rule_id"]] = skipped.get(result["rule_id"], 0) + 1
            continue
        findings.append(finding(result, rules.get(result["rule_id"]), str(owner), region, stamp))
    notes = [f"{n} {rule_id} result{'s' if n != 1 else ''} not exported: no AWS account is known for "
             f"{'them' if n != 1 else 'it'} (a plan without allowed_account_ids); pass an account"
             for rule_id, n in sorted(skipped.items())]
    return findings, notes


def finding(result: dict[str, Any], rule: dict[str, Any] | None, account: str,
            default_region: str | None = None, stamp: str | None = None) -> dict[str, Any]:
    """One ASFF finding for one result."""
    account = visible(account)
    region = _region(result.get("region"), default_region)
    partition = _partition(region)
    status = result["status"]
    severity = result["severity"]
    label = _LABEL.get(severity, "MEDIUM") if status == Status.FAIL.value else "INFORMATIONAL"
    compliance = {Status.FAIL.value: "FAILED", Status.UNKNOWN.value: "WARNING",
                  Status.WAIVED.value: "WARNING"}.get(status, "PASSED")
    address = str(result["address"])
    rule = rule or {}
    refs = rule.get("references") or {}
    hipaa = [visible(c) for c in refs.get("hipaa") or []] or [
        visible(c.split(":", 1)[1]) for c in result.get("controls") or [] if str(c).startswith("hipaa:")]
    stamp = stamp or _timestamp(None)
    digest = hashlib.sha256("\x00".join([result["rule_id"], account, region, address])
                            .encode("utf-8", "surrogatepass")).hexdigest()[:32]
    verdict = {Status.FAIL.value: "failed", Status.UNKNOWN.value: "could not be decided", Status.PASS.value: "passes",
               Status.WAIVED.value: "waived"}.get(status, status.lower())
    description = f"{result['title']} — {verdict} on {address}: {result.get('reason') or ''}"
    waiver = result.get("waiver") or {}
    if status == Status.WAIVED.value and waiver and str(waiver.get("justification", "")) not in description:
        description += f" (waiver: {waiver.get('justification', '')}; approved by {waiver.get('approved_by', '?')}" \
                       f"{', expires ' + str(waiver['expires']) if waiver.get('expires') else ''})"
    remediation = " ".join(str((rule.get("remediation") or {}).get("text") or rule.get("title") or "").split())
    out: dict[str, Any] = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": f"vendorguard/{visible(result['rule_id'])}/{digest}",
        "ProductArn": f"arn:{partition}:securityhub:{region}:{account}:product/{account}/default",
        "ProductName": "vendorguard",
        "CompanyName": "vendorguard",
        "GeneratorId": f"vendorguard/{visible(result['rule_id'])}",
        "AwsAccountId": account,
        "Types": [FINDING_TYPE],
        "CreatedAt": stamp,
        "UpdatedAt": stamp,
        "Severity": {"Label": label, "Original": visible(severity)},
        "Title": truncate(visible(f"{result['rule_id']}: {result['title']}"), 256),
        "Description": truncate(visible(description), 1024),
        "Resources": [_resource(result, rule, account, region, partition, address)],
        "Compliance": {"Status": compliance, "RelatedRequirements": [f"HIPAA {c}"[:256] for c in hipaa][:32]},
        "Remediation": {"Recommendation": {"Text": truncate(visible(remediation), 512) or "See the rule."}},
        "ProductFields": {k: truncate(v, 2048) for k, v in {
            "vendorguard/RuleId": visible(result["rule_id"]),
            "vendorguard/Status": status,
            "vendorguard/Severity": visible(severity),
            "vendorguard/Domain": visible(result["domain"]),
            "vendorguard/Source": visible(result.get("source") or ""),
            "vendorguard/Controls": visible(", ".join(map(str, result.get("controls") or []))),
        }.items() if v},
        "RecordState": "ARCHIVED" if status in (Status.PASS.value, Status.WAIVED.value) else "ACTIVE",
    }
    if not out["Compliance"]["RelatedRequirements"]:
        del out["Compliance"]["RelatedRequirements"]
    return out


def _resource(result: dict[str, Any], rule: dict[str, Any], account: str, region: str, partition: str,
              address: str) -> dict[str, Any]:
    scope = rule.get("scope") or "resource"
    other = {"vendorguard/address": truncate(visible(address), 1024),
             "terraform_type": visible(result.get("resource_type") or ""),
             "source": visible(result.get("source") or "")}
    if scope in ("account", "region"):
        return {"Type": "AwsAccount", "Id": f"AWS::::Account:{account}", "Partition": partition,
                "Region": region, "Details": {"Other": {k: v for k, v in other.items() if v}}}
    # An ASFF type promises an ARN-shaped Id: plan and Pulumi addresses are "Other".
    asff = asff_type(str(result.get("resource_type"))) if address.startswith("arn:") else None
    return {
        "Type": asff or "Other",
        "Id": truncate(visible(address), 512),
        "Partition": partition,
        "Region": region,
        "Details": {"Other": {k: v for k, v in other.items() if v}},
    }


def _region(region: Any, default: str | None) -> str:
    if isinstance(region, str) and region and not region.startswith("("):
        return visible(region)
    return default or DEFAULT_REGION


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def _timestamp(stamp: Any) -> str:
    """ISO 8601 in UTC with milliseconds and a ``Z``, the form Security Hub documents."""
    moment = None
    if isinstance(stamp, str):
        try:
            moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            moment = None
    if moment is None:
        moment = datetime.now(timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

