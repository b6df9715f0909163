"""AWS Security Finding Format, and the import of those findings into Security Hub.

`render` writes a JSON list of findings — what ``BatchImportFindings`` takes, and what
``aws securityhub batch-import-findings --findings file://FILE`` reads.  `export_securityhub` is the
library side of ``vendorguard export securityhub RESULTS.json``: it builds the findings from a saved
results document and imports them with `import_findings`.

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
  in the region its ProductArn names, so `export_securityhub` uses one client per region.
- **Identity.**  ``Id`` is ``vendorguard/<rule>/<hash of rule, account, region, address>``: the
  same rule on the same resource updates one finding across runs instead of piling up copies.
  ``CreatedAt``/``UpdatedAt`` are the scan's finish time.
- **Resources.**  ``Id`` is the address (an ARN for live results, a Terraform address or Pulumi URN
  otherwise); ``Type`` is the ASFF type where the mapping is plain and the Id is an ARN
  (``AwsS3Bucket``, …), ``AwsAccount`` (Id ``AWS::::Account:<id>``) for account/region-level
  rules, ``Other`` elsewhere; the Terraform type and the source are in ``Details.Other``.
- **Text.**  Titles, descriptions and remediation are cut to Security Hub's limits (256, 1024 and
  512 characters); untrusted text has its control characters made visible (`escape.visible`).

Writing to Security Hub is the user's explicit command, so `import_findings` takes a plain boto3
client: it does not go through the scanner's read-only guard, which exists for scanning.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from .escape import json_safe, truncate, visible

log = logging.getLogger(__name__)

SCHEMA_VERSION = "2018-10-08"
FINDING_TYPE = "Software and Configuration Checks/Industry and Regulatory Standards/HIPAA Controls (USA)"
DEFAULT_REGION = "us-east-1"
BATCH_SIZE = 100  # BatchImportFindings takes at most 100 findings per call

_LABEL = {"critical": "CRITICAL", "high": "HIGH", "medium": "MEDIUM", "low": "LOW"}

#: Terraform type → ASFF resource type, where the ASFF type is the same kind of thing.
RESOURCE_TYPES = {
    "aws_s3_bucket": "AwsS3Bucket",
    "aws_s3_account_public_access_block": "AwsS3AccountPublicAccessBlock",
    "aws_db_instance": "AwsRdsDbInstance",
    "aws_rds_cluster": "AwsRdsDbCluster",
    "aws_db_snapshot": "AwsRdsDbSnapshot",
    "aws_db_security_group": "AwsRdsDbSecurityGroup",
    "aws_instance": "AwsEc2Instance",
    "aws_security_group": "AwsEc2SecurityGroup",
    "aws_vpc": "AwsEc2Vpc",
    "aws_subnet": "AwsEc2Subnet",
    "aws_ebs_volume": "AwsEc2Volume",
    "aws_network_acl": "AwsEc2NetworkAcl",
    "aws_eip": "AwsEc2Eip",
    "aws_launch_template": "AwsEc2LaunchTemplate",
    "aws_kms_key": "AwsKmsKey",
    "aws_iam_role": "AwsIamRole",
    "aws_iam_user": "AwsIamUser",
    "aws_iam_group": "AwsIamGroup",
    "aws_iam_policy": "AwsIamPolicy",
    "aws_iam_access_key": "AwsIamAccessKey",
    "aws_lambda_function": "AwsLambdaFunction",
    "aws_dynamodb_table": "AwsDynamoDbTable",
    "aws_cloudtrail": "AwsCloudTrailTrail",
    "aws_lb": "AwsElbv2LoadBalancer",
    "aws_alb": "AwsElbv2LoadBalancer",
    "aws_elb": "AwsElbLoadBalancer",
    "aws_sns_topic": "AwsSnsTopic",
    "aws_sqs_queue": "AwsSqsQueue",
    "aws_guardduty_detector": "AwsGuardDutyDetector",
    "aws_ecr_repository": "AwsEcrRepository",
    "aws_efs_access_point": "AwsEfsAccessPoint",
    "aws_backup_vault": "AwsBackupBackupVault",
    "aws_backup_plan": "AwsBackupBackupPlan",
    "aws_cloudfront_distribution": "AwsCloudFrontDistribution",
    "aws_opensearch_domain": "AwsOpenSearchServiceDomain",
    "aws_elasticsearch_domain": "AwsElasticsearchDomain",
    "aws_secretsmanager_secret": "AwsSecretsManagerSecret",
    "aws_wafv2_web_acl": "AwsWafv2WebAcl",
    "aws_eks_cluster": "AwsEksCluster",
    "aws_ecs_cluster": "AwsEcsCluster",
    "aws_kinesis_stream": "AwsKinesisStream",
    "aws_cloudwatch_metric_alarm": "AwsCloudWatchAlarm",
    "aws_api_gateway_stage": "AwsApiGatewayStage",
    "aws_apigatewayv2_stage": "AwsApiGatewayV2Stage",
    "aws_redshift_cluster": "AwsRedshiftCluster",
    "aws_autoscaling_group": "AwsAutoScalingAutoScalingGroup",
}


@dataclass
class ImportResult:
    """What `import_findings` / `export_securityhub` did: counts, the failures Security Hub named,
    and (for `export_securityhub`) the notes on results that were not exported."""

    success: int = 0
    failed: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, other: "ImportResult") -> None:
        self.success += other.success
        self.failed += other.failed
        self.failures.extend(other.failures)
        self.notes.extend(other.notes)


# -- building findings -----------------------------------------------------------------------------
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
    wanted = {"FAIL"} | ({"UNKNOWN"} if include_unknown else set()) | (
        {"PASS", "WAIVED"} if include_resolved else set())
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
    label = {"FAIL": _LABEL.get(severity, "MEDIUM")}.get(status, "INFORMATIONAL")
    compliance = {"FAIL": "FAILED", "UNKNOWN": "WARNING", "WAIVED": "WARNING"}.get(status, "PASSED")
    address = str(result["address"])
    rule = rule or {}
    refs = rule.get("references") or {}
    hipaa = [visible(c) for c in refs.get("hipaa") or []] or [
        visible(c.split(":", 1)[1]) for c in result.get("controls") or [] if str(c).startswith("hipaa:")]
    stamp = stamp or _timestamp(None)
    digest = hashlib.sha256("\x00".join([result["rule_id"], account, region, address])
                            .encode("utf-8", "surrogatepass")).hexdigest()[:32]
    verdict = {"FAIL": "failed", "UNKNOWN": "could not be decided", "PASS": "passes",
               "WAIVED": "waived"}.get(status, status.lower())
    description = f"{result['title']} — {verdict} on {address}: {result.get('reason') or ''}"
    waiver = result.get("waiver") or {}
    if status == "WAIVED" and waiver and str(waiver.get("justification", "")) not in description:
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
        "RecordState": "ARCHIVED" if status in ("PASS", "WAIVED") else "ACTIVE",
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
    asff_type = RESOURCE_TYPES.get(str(result.get("resource_type"))) if address.startswith("arn:") else None
    return {
        "Type": asff_type or "Other",
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


# -- importing -------------------------------------------------------------------------------------
def import_findings(findings: Iterable[dict[str, Any]], client: Any, batch_size: int = BATCH_SIZE) -> ImportResult:
    """``BatchImportFindings`` in batches of at most 100.  A batch that Security Hub refuses as a
    whole (access denied, hub not enabled, throttled past retries) counts all its findings as
    failed with the error code, and the next batch is still tried.  What no batch could get past —
    no credentials, no endpoint, findings that are not ASFF — raises `InputError` (one line, exit
    code 2 in the CLI)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from ..errors import InputError

    batch_size = max(1, min(batch_size, BATCH_SIZE))
    findings = list(findings)
    outcome = ImportResult()
    for start in range(0, len(findings), batch_size):
        batch = findings[start:start + batch_size]
        try:
            response = client.batch_import_findings(Findings=batch)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code, message = error.get("Code", "ClientError"), error.get("Message", str(exc))
            outcome.failed += len(batch)
            outcome.failures += [{"Id": f.get("Id", ""), "ErrorCode": code, "ErrorMessage": message} for f in batch]
            continue
        except BotoCoreError as exc:
            raise InputError("Security Hub", f"BatchImportFindings: {exc}") from None
        outcome.success += int(response.get("SuccessCount", 0))
        outcome.failed += int(response.get("FailedCount", 0))
        outcome.failures += [{"Id": f.get("Id", ""), "ErrorCode": f.get("ErrorCode", ""),
                              "ErrorMessage": f.get("ErrorMessage", "")}
                             for f in response.get("FailedFindings") or []]
    return outcome


def export_securityhub(document: dict[str, Any] | list[dict[str, Any]], account: str | None = None,
                       region: str | None = None, include_unknown: bool = True, include_resolved: bool = True,
                       client_for: Callable[[str], Any] | None = None) -> ImportResult:
    """Import a results document's findings (or an already built ASFF list) into Security Hub.

    Findings are grouped by the region of their ProductArn and each group goes to that region's
    Security Hub.  `client_for(region)` makes the client; by default a plain
    ``boto3.client("securityhub", region_name=region)`` (standard credential chain, and
    ``AWS_ENDPOINT_URL`` is honoured).  PASS and WAIVED results are sent as archived by default,
    so findings fixed or waived since the last export are closed."""
    if isinstance(document, list):
        findings, notes = document, []
    else:
        findings, notes = build_findings(document, account=account, region=region,
                                         include_unknown=include_unknown, include_resolved=include_resolved)
    if client_for is None:
        import boto3

        def client_for(name: str) -> Any:
            return boto3.client("securityhub", region_name=name)

    by_region: dict[str, list[dict[str, Any]]] = {}
    for item in findings:
        by_region.setdefault(str(item["ProductArn"]).split(":")[3] or DEFAULT_REGION, []).append(item)
    outcome = ImportResult(notes=list(notes))
    for name in sorted(by_region):
        outcome.add(import_findings(by_region[name], client_for(name)))
    return outcome
