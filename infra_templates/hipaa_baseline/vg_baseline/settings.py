"""Every setting of the stack, read once from Pulumi config (namespace ``vendorguard``).

Set them with ``pulumi config set vendorguard:<key> <value>`` or, through vendorguard,
``--config <key>=<value>``.  A bad value stops the program with one message naming the key.

Hardening knobs: ``vendorguard:disable`` takes a comma-separated list of the names in `KNOBS`; each
turns one hardening off.  They exist so that the offline proof can be shown to fail (the tests turn
each off and expect the matching rule to FAIL) — a deployment should leave them empty.
"""
from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field

import pulumi

NAMESPACE = "vendorguard"

#: knob → what turning it off does (and so which rules must then FAIL).
KNOBS: dict[str, str] = {
    "encryption": "PHI buckets use SSE-S3 instead of SSE-KMS, RDS storage unencrypted, EBS encryption by default off",
    "log-encryption": "log groups, the CloudTrail trail and the alert topic without a KMS key",
    "rotation": "KMS keys without automatic rotation",
    "versioning": "bucket versioning suspended",
    "public-access-block": "bucket and account public access blocks all false",
    "tls-only": "bucket policies without the deny-insecure-transport statement",
    "access-logging": "buckets without server access logging",
    "backups": "RDS automated backups off, AWS Backup keeps recovery points 7 days",
    "flow-logs": "no VPC flow logs",
    "tls-policy": "the HTTPS listener accepts TLS 1.0 (ELBSecurityPolicy-2016-08)",
    "https-redirect": "the HTTP listener forwards instead of redirecting to HTTPS",
    "external-id": "the auditor role's trust policy without the sts:ExternalId condition",
    "force-ssl": "the DB parameter group lets clients connect without TLS",
    "multi-az": "single-AZ database",
    "private-db": "the database is publicly accessible",
    "iam-auth": "no IAM database authentication",
    "minor-upgrades": "no automatic minor engine upgrades",
    "db-logs": "no database log exports",
    "deletion-protection": "database and load balancer without deletion protection",
    "alb-logs": "no load balancer access logs",
    "invalid-headers": "the load balancer passes invalid HTTP headers",
    "guardduty": "the GuardDuty detector disabled",
    "macie": "Macie paused",
    "inspector": "Inspector scans Lambda only (not EC2, not ECR)",
    "config-recorder": "the Config recorder stopped",
    "cloudtrail-validation": "CloudTrail log file validation off",
    "cloudtrail-logs": "CloudTrail not sent to CloudWatch Logs",
    "multi-region-trail": "the trail records this region only",
    "alerting": "no e-mail subscription, finding rules without targets",
    "password-policy": "a weak account password policy",
    "default-sg": "the default security group allows all traffic within the group",
    "nacl": "the data tier's network ACL admits all traffic from anywhere",
    "least-privilege": "the application role may do anything on anything",
}

#: Retention values CloudWatch Logs accepts.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                      2192, 2557, 2922, 3288, 3653)

DB_ENGINES = {
    # engine: (default version, parameter that forces TLS, log exports)
    "postgres": ("16", ("rds.force_ssl", "1", "0"), ["postgresql", "upgrade"]),
    "mysql": ("8.0", ("require_secure_transport", "1", "0"), ["error", "slowquery"]),
}

_PREFIX = re.compile(r"^[a-z][a-z0-9-]{1,18}[a-z0-9]$")
_ACCOUNT = re.compile(r"^\d{12}$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def _fail(key: str, problem: str) -> None:
    raise pulumi.RunError(f"config {NAMESPACE}:{key}: {problem}")


@dataclass(frozen=True)
class Settings:
    region: str
    prefix: str
    vpc_cidr: str
    az_count: int
    nat_gateway: bool
    alert_email: str
    log_retention_days: int
    log_archive_days: int
    backup_retention_days: int
    db_engine: str
    db_engine_version: str
    db_instance_class: str
    db_allocated_storage: int
    db_max_allocated_storage: int
    db_name: str
    db_username: str
    app_port: int
    phi_bucket_names: list[str]
    log_bucket_name: str | None
    tags: dict[str, str]
    auditor_account_id: str | None
    auditor_external_id: str | None
    certificate_arn: str | None
    domain_name: str | None
    hosted_zone_id: str | None
    maintenance_window: str
    disabled: frozenset[str] = field(default_factory=frozenset)

    def hardened(self, knob: str) -> bool:
        """Whether a hardening is on (it is, unless `vendorguard:disable` names it)."""
        if knob not in KNOBS:
            raise KeyError(f"unknown hardening knob {knob!r}")
        return knob not in self.disabled

    @property
    def db_major(self) -> str:
        return self.db_engine_version.split(".")[0] if self.db_engine == "postgres" else \
            ".".join(self.db_engine_version.split(".")[:2])

    @property
    def db_family(self) -> str:
        return f"{self.db_engine}{self.db_major}"

    @property
    def db_port(self) -> int:
        return 5432 if self.db_engine == "postgres" else 3306

    @property
    def db_tls_parameter(self) -> tuple[str, str]:
        name, on, off = DB_ENGINES[self.db_engine][1]
        return name, (on if self.hardened("force-ssl") else off)

    @property
    def db_log_exports(self) -> list[str]:
        return list(DB_ENGINES[self.db_engine][2]) if self.hardened("db-logs") else []

    @property
    def rds_backup_days(self) -> int:
        """RDS keeps automated backups at most 35 days; AWS Backup keeps the long history."""
        return min(self.backup_retention_days, 35) if self.hardened("backups") else 0


def _int(cfg: pulumi.Config, key: str, default: int, low: int, high: int) -> int:
    raw = cfg.get(key)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        _fail(key, f"not a whole number: {raw!r}")
    if not low <= value <= high:
        _fail(key, f"{value} is outside {low}..{high}")
    return value


def _bool(cfg: pulumi.Config, key: str, default: bool) -> bool:
    raw = cfg.get(key)
    if raw is None:
        return default
    if raw.lower() in ("true", "yes", "1"):
        return True
    if raw.lower() in ("false", "no", "0"):
        return False
    _fail(key, f"not true or false: {raw!r}")
    return default


def _names(cfg: pulumi.Config, key: str) -> list[str]:
    """A list given as JSON (``["a","b"]``) or comma-separated text."""
    raw = cfg.get(key)
    if not raw:
        return []
    raw = raw.strip()
    if raw.startswith("["):
        try:
            value = json.loads(raw)
        except ValueError:
            _fail(key, "not a JSON list")
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            _fail(key, "expected a list of names")
        return [v.strip() for v in value if v.strip()]
    return [v.strip() for v in raw.split(",") if v.strip()]


def _tags(cfg: pulumi.Config) -> dict[str, str]:
    raw = cfg.get("tags")
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        _fail("tags", 'not a JSON object (e.g. {"CostCenter": "billing"})')
    if not isinstance(value, dict):
        _fail("tags", 'not a JSON object (e.g. {"CostCenter": "billing"})')
    return {str(k): str(v) for k, v in value.items()}


def load() -> Settings:
    cfg = pulumi.Config(NAMESPACE)
    region = cfg.get("region") or pulumi.Config("aws").get("region") or "us-east-1"

    prefix = cfg.get("namePrefix") or "vg-hipaa"
    if not _PREFIX.match(prefix):
        _fail("namePrefix", "3-20 characters: lower-case letters, digits and hyphens, starting "
                            "with a letter")

    vpc_cidr = cfg.get("vpcCidr") or "10.40.0.0/16"
    try:
        network = ipaddress.ip_network(vpc_cidr)
    except ValueError:
        _fail("vpcCidr", f"not a CIDR block: {vpc_cidr!r}")
    if network.version != 4 or not 16 <= network.prefixlen <= 24:
        _fail("vpcCidr", "an IPv4 block from /16 to /24")

    log_retention = _int(cfg, "logRetentionDays", 365, 1, 3653)
    if log_retention not in LOG_RETENTION_DAYS:
        _fail("logRetentionDays", f"CloudWatch Logs accepts {', '.join(map(str, LOG_RETENTION_DAYS))}")

    db_engine = cfg.get("dbEngine") or "postgres"
    if db_engine not in DB_ENGINES:
        _fail("dbEngine", f"one of {', '.join(DB_ENGINES)}")

    auditor = cfg.get("auditorAccountId")
    external_id = cfg.get("auditorExternalId")
    if auditor and not _ACCOUNT.match(auditor):
        _fail("auditorAccountId", "a 12-digit AWS account id")
    if auditor and not (external_id and 2 <= len(external_id) <= 1224):
        _fail("auditorExternalId", "required with auditorAccountId (2 to 1224 characters, agreed "
                                   "with the auditor)")

    certificate_arn = cfg.get("certificateArn")
    domain_name = cfg.get("domainName")
    hosted_zone_id = cfg.get("hostedZoneId")
    if not certificate_arn and not (domain_name and hosted_zone_id):
        _fail("certificateArn", "the HTTPS listener needs a certificate: set certificateArn (an "
                                "issued ACM certificate), or domainName and hostedZoneId (the "
                                "stack requests one and validates it in Route 53)")

    disabled = frozenset(_names(cfg, "disable"))
    unknown = sorted(disabled - KNOBS.keys())
    if unknown:
        _fail("disable", f"unknown hardening {', '.join(unknown)} (known: {', '.join(KNOBS)})")

    alert_email = cfg.get("alertEmail") or ""
    if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", alert_email):
        _fail("alertEmail", "required: the e-mail address security alerts go to"
                            + (f" (not an address: {alert_email!r})" if alert_email else ""))

    phi_buckets = _names(cfg, "phiBucketNames")
    for key, names in (("phiBucketNames", phi_buckets), ("logBucketName", [cfg.get("logBucketName") or ""])):
        bad = [n for n in names if n and not _BUCKET.match(n)]
        if bad:
            _fail(key, f"not an S3 bucket name: {', '.join(bad)} (3-63 lower-case letters, digits, "
                       "dots and hyphens)")

    return Settings(
        region=region,
        prefix=prefix,
        vpc_cidr=str(network),
        az_count=_int(cfg, "azCount", 2, 2, 4),
        nat_gateway=_bool(cfg, "natGateway", True),
        alert_email=alert_email,
        log_retention_days=log_retention,
        log_archive_days=_int(cfg, "logArchiveDays", 2192, max(log_retention, 90), 36500),
        backup_retention_days=_int(cfg, "backupRetentionDays", 35, 1, 36500),
        db_engine=db_engine,
        db_engine_version=cfg.get("dbEngineVersion") or DB_ENGINES[db_engine][0],
        db_instance_class=cfg.get("dbInstanceClass") or "db.t4g.medium",
        db_allocated_storage=_int(cfg, "dbAllocatedStorage", 50, 20, 65536),
        db_max_allocated_storage=_int(cfg, "dbMaxAllocatedStorage", 200, 20, 65536),
        db_name=cfg.get("dbName") or "billing",
        db_username=cfg.get("dbUsername") or "vgadmin",
        app_port=_int(cfg, "appPort", 8443, 1, 65535),
        phi_bucket_names=phi_buckets,
        log_bucket_name=cfg.get("logBucketName"),
        tags=_tags(cfg),
        auditor_account_id=auditor,
        auditor_external_id=external_id,
        certificate_arn=certificate_arn,
        domain_name=domain_name,
        hosted_zone_id=hosted_zone_id,
        maintenance_window=cfg.get("maintenanceWindow") or "cron(0 4 ? * SUN *)",
        disabled=disabled,
    )
