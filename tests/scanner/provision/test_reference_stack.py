"""The hardened reference stack (infra_templates/hipaa_baseline), proven offline: the Pulumi program
runs under Pulumi's own mocks, what it registers is read by the Pulumi source and scanned with the
shipped packs.  It must pass every applicable rule — and the proof must be able to fail: turning
off one hardening at a time makes the matching rule FAIL."""
from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pulumi")
pytest.importorskip("pulumi_aws")

# pulumi-aws warns about its own deprecated aliases when its modules are imported.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

from vendorguard.scanner.provision import deploy, mocks, templates  # noqa: E402
from vendorguard.scanner.provision.check import check  # noqa: E402
from vendorguard.scanner.errors import InputError  # noqa: E402
from vendorguard.scanner.model import Status  # noqa: E402

TEMPLATE = "hipaa-baseline"
PROGRAM = templates.template_dir(TEMPLATE)

#: rule id → why it is UNKNOWN on the default stack.  The mocks return ids and ARNs (as a stack
#: export after `up` shows them) and the program sets every attribute a rule reads, so nothing
#: waits for deployment today; a new entry needs a reason that is a post-deployment value.
EXPECTED_UNKNOWN: dict[str, str] = {}

#: knob (vendorguard:disable=<knob>) → the rules that must FAIL, and only those.
PROOF: dict[str, set[str]] = {
    "encryption": {"VG-S3-002", "VG-RDS-001", "VG-EC2-002"},
    "log-encryption": {"VG-LOG-001", "VG-CT-003", "VG-SNS-001"},
    "rotation": {"VG-KMS-001"},
    "versioning": {"VG-S3-004"},
    "public-access-block": {"VG-S3-006", "VG-S3-007"},
    "tls-only": {"VG-S3-003"},
    "access-logging": {"VG-S3-005"},
    "backups": {"VG-RDS-004", "VG-BAK-002"},
    "flow-logs": {"VG-VPC-001"},
    "tls-policy": {"VG-ELB-002"},
    "https-redirect": {"VG-ELB-001"},
    "external-id": {"VG-TPA-001"},
    "force-ssl": {"VG-RDS-011"},
    "multi-az": {"VG-RDS-006"},
    "private-db": {"VG-RDS-003"},
    "iam-auth": {"VG-RDS-010"},
    "minor-upgrades": {"VG-RDS-009"},
    "db-logs": {"VG-RDS-014"},
    "deletion-protection": {"VG-RDS-007", "VG-ELB-005"},
    "alb-logs": {"VG-ELB-004"},
    "invalid-headers": {"VG-ELB-003"},
    "guardduty": {"VG-GD-001"},
    "macie": {"VG-MAC-001"},
    "inspector": {"VG-INS-001"},
    "config-recorder": {"VG-CFG-001"},
    "cloudtrail-validation": {"VG-CT-002"},
    "cloudtrail-logs": {"VG-CT-004"},
    "password-policy": {"VG-IAM-003"},
    "default-sg": {"VG-EC2-007"},
    "nacl": {"VG-EC2-008"},
    "least-privilege": {"VG-IAM-001"},
}

#: Weakenings through ordinary settings rather than knobs.
CONFIG_WEAKENINGS: list[tuple[dict[str, str], set[str]]] = [
    ({"logRetentionDays": "30"}, {"VG-LOG-002"}),
    ({"backupRetentionDays": "14"}, {"VG-BAK-002"}),
    ({"dbEngine": "mysql", "disable": "force-ssl"}, {"VG-RDS-012"}),
]

#: Region/account controls over types an account can have several of (trails, topics, event
#: rules): one stack cannot show that no passing one exists elsewhere, so turning the hardening
#: off gives UNKNOWN — never PASS.
UNDECIDABLE: dict[str, set[str]] = {
    "multi-region-trail": {"VG-CT-001"},
    "alerting": {"VG-IR-002", "VG-IR-003", "VG-IR-004"},
}


def statuses(report: Any, status: Status) -> set[str]:
    return {r.rule_id for r in report.results if r.status is status}


@pytest.fixture(scope="module")
def default_report() -> Any:
    return check(TEMPLATE)


@pytest.fixture(scope="module")
def default_export() -> dict[str, Any]:
    return mocks.mock_export(TEMPLATE)


# -- the default stack passes --------------------------------------------------------------------------
def test_default_stack_has_no_fail(default_report: Any) -> None:
    failed = [(r.rule_id, r.address, r.reason) for r in default_report.results if r.status is Status.FAIL]
    assert failed == []
    assert statuses(default_report, Status.PASS)


def test_default_stack_unknowns_are_the_expected_ones(default_report: Any) -> None:
    unknown = [r for r in default_report.results if r.status is Status.UNKNOWN]
    assert {r.rule_id for r in unknown} == set(EXPECTED_UNKNOWN)
    notes = default_report.inventories[0].notes
    assert notes[0].startswith(f"offline check: the {TEMPLATE} program ran under Pulumi mocks")
    for result in unknown:  # the note lists each one
        assert any(result.rule_id in note and result.address in note for note in notes)
    assert any(n.startswith("the stack builds (as assessed): ") and "1 aws_db_instance" in n for n in notes)
    absent = next(n for n in notes if "rules have no resource in the stack" in n)
    assert "VG-EC2-012 (aws_instance)" in absent and "VG-RDS-002 (aws_rds_cluster)" in absent
    live = next(n for n in notes if "rules only a live scan decides" in n)
    assert "VG-IAM-005" in live and "VG-EC2-013" in live


def test_the_stack_builds_what_the_issue_lists(default_report: Any, default_export: dict[str, Any]) -> None:
    tokens = {r["type"] for r in default_export["deployment"]["resources"]}
    wanted = {
        # network: private tiers, flow logs, closed defaults, NACLs
        "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/flowLog:FlowLog",
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl",
        "aws:ec2/networkAcl:NetworkAcl", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        # keys, storage
        "aws:kms/key:Key", "aws:s3/bucket:Bucket",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketPolicy:BucketPolicy", "aws:s3/bucketLogging:BucketLogging",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock",
        # database, edge
        "aws:rds/instance:Instance", "aws:rds/parameterGroup:ParameterGroup",
        "aws:lb/loadBalancer:LoadBalancer", "aws:lb/listener:Listener",
        # detection, logging
        "aws:guardduty/detector:Detector", "aws:securityhub/account:Account", "aws:macie2/account:Account",
        "aws:inspector2/enabler:Enabler", "aws:cfg/recorder:Recorder",
        "aws:cfg/deliveryChannel:DeliveryChannel", "aws:cfg/recorderStatus:RecorderStatus",
        "aws:cloudtrail/trail:Trail", "aws:cloudwatch/logGroup:LogGroup",
        "aws:ebs/encryptionByDefault:EncryptionByDefault",
        # backup, patching, alerting, access
        "aws:backup/vault:Vault", "aws:backup/plan:Plan", "aws:backup/selection:Selection",
        "aws:ssm/patchBaseline:PatchBaseline", "aws:ssm/patchGroup:PatchGroup",
        "aws:ssm/maintenanceWindow:MaintenanceWindow", "aws:sns/topic:Topic",
        "aws:sns/topicSubscription:TopicSubscription", "aws:cloudwatch/eventRule:EventRule",
        "aws:cloudwatch/eventTarget:EventTarget", "aws:iam/role:Role",
        "aws:iam/accountPasswordPolicy:AccountPasswordPolicy",
    }
    assert wanted <= tokens, sorted(wanted - tokens)
    keys = [r for r in default_export["deployment"]["resources"] if r["type"] == "aws:kms/key:Key"]
    assert {k["inputs"]["tags"]["Purpose"] for k in keys} == {"s3", "rds", "logs", "backup"}
    # Every region/account control is decided (PASS) by what the stack itself builds.
    scoped = {r.rule_id for r in default_report.results if r.address.startswith(mocks.MOCK_ACCOUNT)}
    assert {"VG-GD-001", "VG-SH-001", "VG-MAC-001", "VG-INS-001", "VG-CFG-001", "VG-CT-001", "VG-EC2-002",
            "VG-S3-007", "VG-IAM-003", "VG-BAK-001", "VG-IR-002", "VG-IR-003", "VG-IR-004"} <= scoped
    assert all(r.status is Status.PASS for r in default_report.results
               if r.address.startswith(mocks.MOCK_ACCOUNT))


def test_the_export_is_stack_export_shaped(default_export: dict[str, Any]) -> None:
    assert default_export["version"] == 3
    resources = default_export["deployment"]["resources"]
    stack = [r for r in resources if r["type"] == "pulumi:pulumi:Stack"]
    assert len(stack) == 1
    providers = [r for r in resources if r["type"] == "pulumi:providers:aws"]
    assert len(providers) == 1 and providers[0]["inputs"]["region"] == "us-east-1"
    for record in resources:
        assert record["urn"].startswith("urn:pulumi:check::vendorguard-hipaa-baseline::")
        assert "pulumi:pulumi:Stack$" not in record["urn"]
        if record["type"].startswith("aws:"):
            assert record["provider"].startswith(providers[0]["urn"] + "::")
            assert record["parent"]
            assert isinstance(record["propertyDependencies"], dict)
    by_name = {r["urn"].rsplit("::", 1)[1]: r for r in resources}
    db = by_name["claims-db"]
    # Inputs are echoed; what AWS computes at creation stays unknown, as in a preview.
    assert db["outputs"]["storageEncrypted"] is True and db["inputs"]["multiAz"] is True
    assert db["outputs"]["endpoint"] == "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    assert db["outputs"]["arn"] == "arn:aws:rds:us-east-1:123456789012:db:vg-hipaa-claims-db"
    assert isinstance(db["inputs"]["backupRetentionPeriod"], int)  # whole numbers as the engine writes them
    flow_log = by_name["vpc-flow-log"]
    assert flow_log["propertyDependencies"]["vpcId"] == [by_name["vpc"]["urn"]]


# -- the proof can fail ---------------------------------------------------------------------------------
def test_every_knob_is_exercised() -> None:
    sys.path.insert(0, str(PROGRAM))
    try:
        from vg_baseline.settings import KNOBS
    finally:
        sys.path.remove(str(PROGRAM))
        for name in [m for m in sys.modules if m == "vg_baseline" or m.startswith("vg_baseline.")]:
            del sys.modules[name]
    assert set(KNOBS) == set(PROOF) | set(UNDECIDABLE)


@pytest.mark.parametrize("knob", sorted(PROOF))
def test_turning_a_hardening_off_fails_its_rule(knob: str) -> None:
    report = check(TEMPLATE, {"disable": knob})
    assert statuses(report, Status.FAIL) == PROOF[knob]
    assert statuses(report, Status.UNKNOWN) == set(EXPECTED_UNKNOWN)


@pytest.mark.parametrize(("config", "rules"), CONFIG_WEAKENINGS,
                         ids=[",".join(f"{k}={v}" for k, v in c.items()) for c, _ in CONFIG_WEAKENINGS])
def test_weak_settings_fail_their_rule(config: dict[str, str], rules: set[str]) -> None:
    report = check(TEMPLATE, config)
    assert statuses(report, Status.FAIL) == rules


@pytest.mark.parametrize("knob", sorted(UNDECIDABLE))
def test_account_wide_controls_turned_off_are_never_pass(knob: str) -> None:
    report = check(TEMPLATE, {"disable": knob})
    assert statuses(report, Status.FAIL) == set()
    assert statuses(report, Status.UNKNOWN) == UNDECIDABLE[knob] | set(EXPECTED_UNKNOWN)
    for result in report.results:
        if result.rule_id in UNDECIDABLE[knob]:
            assert "none in this pulumi input satisfies the rule" in result.reason


# -- settings ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("config", [
    {"dbEngine": "mysql"},
    {"certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/0b1c", "domainName": "", "hostedZoneId": ""},
    {"region": "eu-west-1", "azCount": "3", "vpcCidr": "10.8.0.0/20", "namePrefix": "acme-bill"},
    {"phiBucketNames": '["acme-claims-phi", "acme-remits-phi"]', "natGateway": "false", "auditorAccountId": ""},
], ids=["mysql", "certificate-arn", "eu-west-1-3az", "two-phi-buckets-no-auditor"])
def test_other_settings_still_pass(config: dict[str, str]) -> None:
    report = check(TEMPLATE, config)
    assert statuses(report, Status.FAIL) == set()
    assert statuses(report, Status.UNKNOWN) == set(EXPECTED_UNKNOWN)


def test_settings_reach_the_resources() -> None:
    document = mocks.mock_export(TEMPLATE, {
        "region": "eu-west-1", "azCount": "3", "phiBucketNames": "acme-claims-phi,acme-remits-phi",
        "tags": '{"CostCenter": "billing"}', "auditorAccountId": "",
    })
    resources = document["deployment"]["resources"]
    by_type: dict[str, list[dict[str, Any]]] = {}
    for record in resources:
        by_type.setdefault(record["type"], []).append(record)
    assert len(by_type["aws:ec2/subnet:Subnet"]) == 9
    assert {b["inputs"]["bucket"] for b in by_type["aws:s3/bucket:Bucket"]} >= {"acme-claims-phi", "acme-remits-phi"}
    provider = by_type["pulumi:providers:aws"][0]["inputs"]
    assert provider["region"] == "eu-west-1" and '"CostCenter": "billing"' in provider["defaultTags"]
    assert all("PracticeAuditor" not in str(r["inputs"].get("assumeRolePolicy"))
               for r in by_type["aws:iam/role:Role"])


@pytest.mark.parametrize(("config", "message"), [
    ({"disable": "encryption,bogus"}, "vendorguard:disable: unknown hardening bogus"),
    ({"azCount": "7"}, "vendorguard:azCount: 7 is outside 2..4"),
    ({"logRetentionDays": "100"}, "vendorguard:logRetentionDays: CloudWatch Logs accepts"),
    ({"auditorExternalId": ""}, "vendorguard:auditorExternalId: required with auditorAccountId"),
    ({"certificateArn": "", "domainName": ""}, "vendorguard:certificateArn: the HTTPS listener needs a certificate"),
    ({"alertEmail": ""}, "vendorguard:alertEmail: required"),
    ({"phiBucketNames": "Claims_PHI"}, "vendorguard:phiBucketNames: not an S3 bucket name: Claims_PHI"),
])
def test_bad_settings_are_one_line_input_errors(config: dict[str, str], message: str) -> None:
    with pytest.raises(InputError) as caught:
        check(TEMPLATE, config)
    assert caught.value.where == f"template {TEMPLATE}"
    assert message in caught.value.problem and "\n" not in str(caught.value)


def test_runs_are_isolated(default_report: Any) -> None:
    """Pulumi's runtime state is global: a run must neither see nor leave anything behind."""
    import pulumi

    root = pulumi.runtime.get_root_resource()
    weakened = check(TEMPLATE, {"disable": "rotation,versioning"})
    again = check(TEMPLATE)
    assert statuses(weakened, Status.FAIL) == {"VG-KMS-001", "VG-S3-004"}
    assert statuses(again, Status.FAIL) == set()
    assert sorted((r.rule_id, r.address, r.status.value) for r in again.results) == \
        sorted((r.rule_id, r.address, r.status.value) for r in default_report.results)
    assert not [m for m in sys.modules if m == "vg_baseline" or m.startswith("vg_baseline.")]
    assert str(PROGRAM) not in sys.path
    assert pulumi.runtime.get_root_resource() is root  # the caller's Pulumi context is untouched


def test_check_with_one_pack(default_report: Any) -> None:
    report = check(TEMPLATE, packs=["hipaa"])
    assert [p.id for p in report.packs] == ["hipaa"]
    assert statuses(report, Status.FAIL) == set()


def test_unknown_template() -> None:
    with pytest.raises(InputError, match="no such template 'nope' \\(available: hipaa-baseline\\)"):
        check("nope")


# -- the provisioning side (no Pulumi CLI in tests) -----------------------------------------------------------
def test_config_pairs() -> None:
    assert templates.parse_config(["region=eu-west-1", "aws:profile=x", "tags={\"a\": \"b=c\"}"]) == {
        "vendorguard:region": "eu-west-1", "aws:profile": "x", "vendorguard:tags": '{"a": "b=c"}'}
    assert templates.parse_config({"azCount": 3}) == {"vendorguard:azCount": "3"}
    with pytest.raises(InputError, match="expected KEY=VALUE"):
        templates.parse_config(["region"])
    with pytest.raises(InputError, match="not a config key"):
        templates.parse_config(["bad key=1"])


def test_missing_cli_is_one_line_with_the_install_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    for call in (lambda: deploy.preview(TEMPLATE, "dev"), lambda: deploy.up(TEMPLATE, "dev"),
                 lambda: deploy.destroy(TEMPLATE, "dev"), lambda: deploy.outputs(TEMPLATE, "dev")):
        with pytest.raises(InputError) as caught:
            call()
        message = str(caught.value)
        assert "\n" not in message
        assert message.startswith("pulumi: the Pulumi CLI is not installed")
        assert "curl -fsSL https://get.pulumi.com | sh" in message


def test_bad_stack_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    with pytest.raises(InputError, match="--stack: not a stack name"):
        deploy.preview(TEMPLATE, "no/slashes")


def test_local_state_and_generated_passphrase(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    for name in ("PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"):
        monkeypatch.delenv(name, raising=False)
    state = tmp_path / "vendorguard" / "pulumi-state"
    assert deploy.backend_url() == state.as_uri()
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    env = deploy.passphrase_env()
    secret = Path(env["PULUMI_CONFIG_PASSPHRASE_FILE"])
    assert secret == state / "passphrase"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    first = secret.read_text()
    assert len(first.strip()) >= 40
    assert deploy.passphrase_env() == env and secret.read_text() == first  # generated once
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "from-the-environment")
    assert deploy.passphrase_env() == {"PULUMI_CONFIG_PASSPHRASE": "from-the-environment"}
    monkeypatch.setenv("PULUMI_BACKEND_URL", "s3://state-bucket/vendorguard")
    assert deploy.backend_url() == "s3://state-bucket/vendorguard"


def test_stack_opens_with_local_state_passphrase_and_config(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the Automation API, against a stand-in `pulumi` that records how it is called."""
    bin_dir, log = tmp_path / "bin", tmp_path / "calls.log"
    bin_dir.mkdir()
    fake = bin_dir / "pulumi"
    fake.write_text("#!/bin/sh\n"
                    f'echo "$* | $PULUMI_CONFIG_PASSPHRASE_FILE | $(pwd)" >> {log}\n'
                    'if [ "$1" = version ]; then echo v3.210.0; else echo "{}"; fi\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    for name in ("PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"):
        monkeypatch.delenv(name, raising=False)
    stack = deploy.Deployment(TEMPLATE, "prod", {"alertEmail": "sec@vendor.example"}).open()
    assert stack.name == "prod"
    base = tmp_path / "data" / "vendorguard"
    project = base / "pulumi-projects" / "vendorguard-hipaa-baseline"
    settings = (project / "Pulumi.yaml").read_text()
    assert f"url: {(base / 'pulumi-state').as_uri()}" in settings and "runtime: python" in settings
    calls = log.read_text().splitlines()
    passphrase = str(base / "pulumi-state" / "passphrase")
    assert any(c.startswith("--non-interactive stack select --stack prod") for c in calls)
    assert any("config set-all --stack prod --plaintext vendorguard:alertEmail=sec@vendor.example" in c
               for c in calls)
    assert all(f"| {passphrase} | {project}" in c for c in calls if not c.startswith("version"))


def test_template_ships_as_package_data() -> None:
    from importlib import resources

    root = resources.files("vendorguard.infra_templates")
    for name in ("README.md", "hipaa_baseline/Pulumi.yaml", "hipaa_baseline/__main__.py",
                 "hipaa_baseline/requirements.txt", "hipaa_baseline/vg_baseline/settings.py",
                 "terraform/hipaa_baseline/versions.tf"):
        assert root.joinpath(name).is_file(), name
    assert templates.project_name(TEMPLATE) == "vendorguard-hipaa-baseline"
    assert os.path.samefile(PROGRAM, Path(str(root.joinpath("hipaa_baseline"))))
