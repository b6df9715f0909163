"""`vendorguard demo`: a realistic billing vendor's account on an embedded AWS endpoint, scanned.

It starts a moto server on 127.0.0.1 (a free port), seeds "ClaimBridge", a claims-processing
vendor, in two regions — much done right, some things wrong, as in real accounts — and scans it.
Then, as an auditor's second visit would find, the vendor fixes a few findings (`remediate`) and
the account is scanned again; the bundled example Terraform plan is scanned too.  Every scan is
kept in an embedded store, which gives the diff between the two visits and the portfolio page,
and written in every report format.  Each step says on the user's terminal what it does and how
long it took (a first run is a minute of silence otherwise); `summary` says what came of it.
Nothing leaves the machine: the credentials are fake and the endpoint is local.
"""
from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterator

from .. import sources
from ..catalog import select
from ..decisions import Decisions
from ..errors import InputError
from ..pipeline import judge, now, scan
from ..source import DocumentSource, Reading

PRIMARY, SECONDARY = "us-east-1", "us-west-2"
VENDOR = "ClaimBridge"
STORE = "vendorguard.db"
PARTNER = "444455556666"      # the clearinghouse's account
AUDITOR = "777788889999"      # the practice's auditor


def shown_path(path: Path) -> str:
    """A bundled file's name as reports show it, a path the user can open: relative to the
    checkout's root when the package runs from a checkout (``scanner/demo/…``, which is also what
    code scanning resolves in the repository), else the installed file's absolute path."""
    path = path.resolve()
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and path.is_relative_to(root):
        return path.relative_to(root).as_posix()
    return str(path)


def example_plans() -> list[tuple[str, bytes]]:
    """(name, bytes) of the bundled example plans, each named by its true path (`shown_path`)."""
    root = Path(os.fspath(resources.files(__name__)))  # a regular package: package data are files
    return [(shown_path(e), e.read_bytes()) for e in sorted(root.iterdir(), key=lambda e: e.name)
            if e.name.endswith(".tfplan.json")]


@contextmanager
def local_aws() -> Iterator[str]:
    """A moto server on a free loopback port holding a clean account, with fake credentials in the
    environment.  moto keeps its state per process, so a second server starts from a reset."""
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        raise InputError("vendorguard demo", "needs moto: pip install 'vendorguard[demo]'") from None
    import logging
    import urllib.request

    # An operation moto lacks is the scanner's UNKNOWN to report, not the server's traceback to print;
    # nor is a service it lacks (Redshift Serverless), which its dispatcher `print`s to our stdout.
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    from moto.moto_server import werkzeug_app

    werkzeug_app.print = lambda *args, **kwargs: None  # type: ignore[attr-defined]
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                                             "AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_MAX_ATTEMPTS")}
    # moto never throttles, and answers a call it lacks (Config's resource counts) with a 500 that
    # eight attempts would only retry with backoff
    os.environ.update(AWS_ACCESS_KEY_ID="demo", AWS_SECRET_ACCESS_KEY="demo", AWS_SESSION_TOKEN="demo",
                      AWS_DEFAULT_REGION=PRIMARY, AWS_MAX_ATTEMPTS="2")
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        urllib.request.urlopen(urllib.request.Request(f"http://{host}:{port}/moto-api/reset", method="POST")).read()
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def seed(endpoint: str) -> int:
    """Create ClaimBridge's account; returns how many resources were made."""
    import boto3

    made = 0

    def client(service: str, region: str = PRIMARY) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=endpoint)

    def step(fn: Callable[[], Any]) -> Any:
        nonlocal made
        made += 1
        return fn()

    account = client("sts").get_caller_identity()["Account"]
    for region in (PRIMARY, SECONDARY):
        _seed_network(client, step, region)
        _seed_compute(client, step, region)
    _seed_storage(client, step, account)
    _seed_identity(client, step, account)
    _seed_detection(client, step, account)
    return made


def _seed_network(client: Callable[..., Any], step: Callable[..., Any], region: str) -> None:
    ec2 = client("ec2", region)
    vpc = step(lambda: ec2.create_vpc(CidrBlock="10.20.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": f"claims-{region}"}]}]))["Vpc"]["VpcId"]
    for i, cidr in enumerate(("10.20.1.0/24", "10.20.2.0/24")):
        step(lambda: ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=f"{region}{'ab'[i]}"))
    if region == PRIMARY:  # flow logs in the primary region only
        logs = client("logs", region)
        step(lambda: logs.create_log_group(logGroupName="/vpc/flow/claims"))
        step(lambda: ec2.create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL",
                                          LogGroupName="/vpc/flow/claims",
                                          DeliverLogsPermissionArn="arn:aws:iam::123456789012:role/flow-logs"))
    alb = step(lambda: ec2.create_security_group(GroupName="portal-alb", Description="public HTTPS", VpcId=vpc))["GroupId"]
    step(lambda: ec2.authorize_security_group_ingress(GroupId=alb, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]))
    app = step(lambda: ec2.create_security_group(GroupName="claims-api", Description="app tier", VpcId=vpc))["GroupId"]
    step(lambda: ec2.authorize_security_group_ingress(GroupId=app, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 8443, "ToPort": 8443, "UserIdGroupPairs": [{"GroupId": alb}]}]))
    db = step(lambda: ec2.create_security_group(GroupName="claims-db", Description="postgres", VpcId=vpc))["GroupId"]
    step(lambda: ec2.authorize_security_group_ingress(GroupId=db, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": app}]}]))
    if region == PRIMARY:  # the on-call engineer's "temporary" SSH rule
        bastion = step(lambda: ec2.create_security_group(GroupName="bastion", Description="ops", VpcId=vpc))["GroupId"]
        step(lambda: ec2.authorize_security_group_ingress(GroupId=bastion, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
             "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "vendor on-call <temporary>"}]}]))


def _seed_compute(client: Callable[..., Any], step: Callable[..., Any], region: str) -> None:
    ec2 = client("ec2", region)
    if region == PRIMARY:
        step(ec2.enable_ebs_encryption_by_default)
    step(lambda: ec2.create_volume(AvailabilityZone=f"{region}a", Size=200, Encrypted=True,
                                   TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "claims-data"}]}]))
    if region == SECONDARY:  # an old export disk from before encryption by default
        step(lambda: ec2.create_volume(AvailabilityZone=f"{region}a", Size=500, TagSpecifications=[
            {"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "legacy-835-exports"}]}]))
    rds = client("rds", region)
    if region == PRIMARY:
        step(lambda: rds.create_db_instance(
            DBInstanceIdentifier="claims-prod", Engine="postgres", DBInstanceClass="db.r6g.large", AllocatedStorage=200,
            MasterUsername="claims_admin", MasterUserPassword="not-a-real-password-1", StorageEncrypted=True,
            MultiAZ=True, BackupRetentionPeriod=14, DeletionProtection=True, PubliclyAccessible=False,
            EnableIAMDatabaseAuthentication=True, AutoMinorVersionUpgrade=True,
            EnableCloudwatchLogsExports=["postgresql"]))
        step(lambda: rds.create_db_instance(
            DBInstanceIdentifier="reporting-legacy", Engine="mysql", DBInstanceClass="db.t3.medium", AllocatedStorage=50,
            MasterUsername="report", MasterUserPassword="not-a-real-password-2", StorageEncrypted=False,
            BackupRetentionPeriod=0, PubliclyAccessible=True))
        dynamodb = client("dynamodb", region)
        step(lambda: dynamodb.create_table(TableName="portal-sessions", BillingMode="PAY_PER_REQUEST",
                                           AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                                           KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}]))


def _seed_storage(client: Callable[..., Any], step: Callable[..., Any], account: str) -> None:
    s3, kms = client("s3"), client("kms")
    key = step(lambda: kms.create_key(Description="PHI data key"))["KeyMetadata"]["KeyId"]
    step(lambda: kms.enable_key_rotation(KeyId=key))
    step(lambda: kms.create_key(Description="reporting key (rotation never turned on)"))
    step(lambda: s3.create_bucket(Bucket="claimbridge-logs"))
    step(lambda: s3.put_bucket_acl(Bucket="claimbridge-logs", ACL="log-delivery-write"))
    claims = "claimbridge-claims-prod"
    step(lambda: s3.create_bucket(Bucket=claims))
    step(lambda: s3.put_bucket_tagging(Bucket=claims, Tagging={"TagSet": [
        {"Key": "DataClassification", "Value": "PHI"}, {"Key": "Owner", "Value": "billing-platform"}]}))
    step(lambda: s3.put_bucket_encryption(Bucket=claims, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}, "BucketKeyEnabled": True}]}))
    step(lambda: s3.put_bucket_versioning(Bucket=claims, VersioningConfiguration={"Status": "Enabled"}))
    step(lambda: s3.put_public_access_block(Bucket=claims, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}))
    step(lambda: s3.put_bucket_logging(Bucket=claims, BucketLoggingStatus={"LoggingEnabled": {
        "TargetBucket": "claimbridge-logs", "TargetPrefix": "s3/claims/"}}))
    step(lambda: s3.put_bucket_policy(Bucket=claims, Policy=_policy({
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{claims}", f"arn:aws:s3:::{claims}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}})))
    exports = "claimbridge-partner-exports"
    step(lambda: s3.create_bucket(Bucket=exports))
    step(lambda: s3.put_bucket_tagging(Bucket=exports, Tagging={"TagSet": [
        {"Key": "Name", "Value": "<img src=x onerror=alert('exports')>"}]}))
    step(lambda: s3.put_bucket_acl(Bucket=exports, ACL="public-read"))


def _seed_identity(client: Callable[..., Any], step: Callable[..., Any], account: str) -> None:
    iam = client("iam")
    step(lambda: iam.create_role(RoleName="clearinghouse-sftp-sync", AssumeRolePolicyDocument=_policy({
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PARTNER}:root"}, "Action": "sts:AssumeRole"})))
    step(lambda: iam.create_role(RoleName="practice-auditor", AssumeRolePolicyDocument=_policy({
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{AUDITOR}:root"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "riverside-family-practice-2026"}}})))
    step(lambda: iam.create_role(RoleName="claims-api", AssumeRolePolicyDocument=_policy({
        "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})))
    admin = step(lambda: iam.create_policy(PolicyName="legacy-break-glass", PolicyDocument=_policy({
        "Effect": "Allow", "Action": "*", "Resource": "*"})))["Policy"]["Arn"]
    step(lambda: iam.create_user(UserName="ops-jdoe"))
    step(lambda: iam.create_login_profile(UserName="ops-jdoe", Password="Not-A-Real-Passw0rd!"))
    step(lambda: iam.attach_user_policy(UserName="ops-jdoe", PolicyArn=admin))
    step(lambda: iam.update_account_password_policy(MinimumPasswordLength=8, RequireNumbers=True))


def _seed_detection(client: Callable[..., Any], step: Callable[..., Any], account: str) -> None:
    step(lambda: client("guardduty", PRIMARY).create_detector(Enable=True))   # one region only
    s3 = client("s3")
    step(lambda: s3.create_bucket(Bucket="claimbridge-trail"))
    step(lambda: client("cloudtrail").create_trail(Name="org-audit", S3BucketName="claimbridge-trail",
                                                   IsMultiRegionTrail=True, IncludeGlobalServiceEvents=True,
                                                   EnableLogFileValidation=False))
    step(lambda: client("cloudtrail").start_logging(Name="org-audit"))
    sns = client("sns")
    topic = step(lambda: sns.create_topic(Name="security-alerts", Attributes={"KmsMasterKeyId": "alias/aws/sns"}))["TopicArn"]
    step(lambda: sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="security@claimbridge.example"))
    events = client("events")
    step(lambda: events.put_rule(Name="guardduty-findings", EventPattern=json.dumps(
        {"source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"]})))
    step(lambda: events.put_targets(Rule="guardduty-findings", Targets=[{"Id": "to-sns", "Arn": topic}]))
    logs = client("logs")
    step(lambda: logs.create_log_group(logGroupName="/claimbridge/api"))
    step(lambda: logs.put_retention_policy(logGroupName="/claimbridge/api", retentionInDays=30))


def remediate(endpoint: str) -> list[str]:
    """What ClaimBridge fixes before the auditor's second visit: one line per change (the scans'
    diff shows which findings that fixed)."""
    import boto3

    def client(service: str, region: str = PRIMARY) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=endpoint)

    s3 = client("s3")
    s3.put_bucket_acl(Bucket="claimbridge-partner-exports", ACL="private")
    s3.put_public_access_block(Bucket="claimbridge-partner-exports", PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    client("guardduty", SECONDARY).create_detector(Enable=True)
    client("cloudtrail").update_trail(Name="org-audit", EnableLogFileValidation=True)
    client("iam").update_account_password_policy(MinimumPasswordLength=14, RequireNumbers=True, RequireSymbols=True,
                                                 RequireUppercaseCharacters=True, RequireLowercaseCharacters=True,
                                                 PasswordReusePrevention=24, MaxPasswordAge=90)
    return ["made the partner-exports bucket private and blocked public access",
            f"turned GuardDuty on in {SECONDARY}",
            "turned on CloudTrail log file validation",
            "tightened the IAM password policy"]


class Progress:
    """One line per step, on the user's terminal: what starts, then what came of it and how long
    it took — enough to see that a minute-long demo is moving, without a spinner's noise."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self.write = write
        self._started = 0.0

    def start(self, what: str) -> None:
        self.write(f"{what}… ")
        self._started = time.monotonic()

    def done(self, outcome: str) -> None:
        self.write(f"{outcome} ({time.monotonic() - self._started:.1f} s)\n")


@dataclass
class Scan:
    """One of the demo's scans: the stem its reports are written under, what it is (for the
    summary), the document as kept in the store, and the files written."""

    stem: str
    title: str
    document: dict[str, Any]
    written: list[Path] = field(default_factory=list)


@dataclass
class Outcome:
    """What the demo did and wrote, for `summary`."""

    output_dir: str
    headline: str
    scans: list[Scan]
    diff: dict[str, Any]
    written: dict[str, Path]


def run(output_dir: str, decisions: Decisions | None = None,
        write: Callable[[str], None] = lambda _: None) -> Outcome:
    """Seed, scan the account, let the vendor fix a few findings, scan it again, scan the example
    plans (all with `decisions`: the user's waivers), keep every scan and write the reports;
    each step announced through `write`."""
    from ..sources.aws.live import Target  # boto3: only once the demo runs

    step = Progress(write)
    step.start("starting a local AWS endpoint (moto, on 127.0.0.1)")
    with local_aws() as endpoint:
        step.done(endpoint)
        step.start(f"seeding {VENDOR}, a billing vendor's account, in {PRIMARY} and {SECONDARY}")
        step.done(f"{seed(endpoint)} resources")
        target = Target(endpoint_url=endpoint, regions=[PRIMARY, SECONDARY])
        step.start(f"scanning the account ({PRIMARY}, {SECONDARY}), read-only")
        live = scan(sources.get("aws"), [], [], decisions, target=target)
        collectors = {c for i in live.inventories for c in i.metadata.get("collectors", ())}
        step.done(f"{len(live.results)} results from {len(collectors)} collectors")
        step.start(f"{VENDOR} fixes a few findings before the auditor's second visit")
        fixed = remediate(endpoint)
        step.done(f"{len(fixed)} changes")
        step.start("scanning the account again")
        again = scan(sources.get("aws"), [], [], decisions, target=target)
        step.done(f"{len(again.results)} results")
    examples = example_plans()
    step.start("scanning the example plan " + ", ".join(name for name, _ in examples))
    started = now()
    _, selection = select([])
    plan = sources.get("terraform-plan")
    assert isinstance(plan, DocumentSource)
    plans = judge(Reading([plan.load(name, data) for name, data in examples]), selection, started, decisions)
    step.done(f"{len(plans.results)} results")
    step.start(f"keeping the scans in {os.path.join(output_dir, STORE)} and writing the reports")
    headline = (f"{VENDOR}'s account (live, {PRIMARY} and {SECONDARY}) and "
                f"the example plan {', '.join(name for name, _ in examples)}:")
    outcome = keep(output_dir, headline, [("aws", "first visit", live), ("aws-second-visit", "second visit", again),
                                          ("plans", "example plan", plans)])
    step.done(f"{sum(len(s.written) for s in outcome.scans) + len(outcome.written)} files")
    return outcome


def keep(output_dir: str, headline: str, reports: list[tuple[str, str, Any]]) -> Outcome:
    """Keep every scan in the demo's store (``<output_dir>/vendorguard.db``) as the vendor's and
    write it in every format; then write the diff between the two visits (Markdown and JSON),
    the portfolio page and its OSCAL export."""
    from ..reports import FORMATS, oscal, portfolio, store_views, write_file, write_reports
    from ..store.db import Store

    with Store.open(os.path.join(output_dir, STORE)) as store:
        scans = [Scan(stem, title, store.record(report.to_document(), VENDOR)) for stem, title, report in reports]
        diff = store.diff(VENDOR, scans[0].document["scan"]["id"], scans[1].document["scan"]["id"])
        outputs = {
            "diff.md": store_views.render("diff", diff, "markdown"),
            "diff.json": store_views.render("diff", diff, "json"),
            "portfolio.html": portfolio.render(store.portfolio()),
            "portfolio.oscal.json": oscal.render_many(store.latest_documents(), title=f"vendorguard demo: {VENDOR}"),
        }
    for one in scans:
        one.written = write_reports(one.document, list(FORMATS), output_dir, one.stem)
    written = {}
    for name, text in outputs.items():
        written[name] = Path(output_dir) / name
        write_file(written[name], text)
    return Outcome(output_dir, headline, scans, diff, written)
