"""Collectors for EKS, ECR, Secrets Manager, SSM parameters, Lambda function URLs, IAM managed-policy
attachments and access keys, and the EC2-Classic DB and Redshift security groups.

Each service is seeded on the moto server (the `aws` fixture) with a good and a bad resource and
scanned by the real scanner over HTTP.  What moto does not do is tested with botocore's Stubber on
the response shapes AWS documents, through the same collectors and engine:
  - ListFunctionUrlConfigs (moto has no such call);
  - BatchGetRepositoryScanningConfiguration under basic scanning (moto always answers the
    repository's scanOnPush as false; only registry scanning rules change its answer);
  - GetAccessKeyLastUsed with a last-use date (moto never records one), and denied reads;
  - DescribeCluster denied;
  - DescribeClusterSecurityGroups with IP ranges (moto keeps Redshift's ranges but never returns them).
Secret values, parameter values and access key secrets are seeded and then searched for in
everything the scan produced: none may appear.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from botocore.stub import Stubber

from conftest import lambda_zip, policy, results_for, scan_moto, trust
from test_collectors_services import ACCOUNT, DENIED, E1, collect, stubbed, verdicts
from vendorguard.scanner.functions import secret_like_name
from vendorguard.scanner.model import UNKNOWN, Status
from vendorguard.scanner.sources.aws.collectors import awslambda, classic, ecr, eks, iam

KEY = f"arn:aws:kms:{E1}:{ACCOUNT}:key/2f4e6a8c-1b3d-4f5a-9c7e-0a1b2c3d4e5f"


def everything(report: Any) -> str:
    """Every attribute and evidence value a report holds, as text."""
    return json.dumps([[r.attributes for r in inv.resources] for inv in report.inventories], default=str) + \
        json.dumps([(r.evidence, r.reason) for r in report.results], default=str)


# == moto ==========================================================================================

def test_eks_clusters(aws: Any) -> None:
    client = aws("eks")
    role = f"arn:aws:iam::{ACCOUNT}:role/eks-cluster"
    subnets = {"subnetIds": ["subnet-0a1b2c3d"], "securityGroupIds": []}
    client.create_cluster(
        name="claims", roleArn=role,
        resourcesVpcConfig={**subnets, "endpointPublicAccess": False, "endpointPrivateAccess": True},
        logging={"clusterLogging": [{"types": ["api", "audit", "authenticator"], "enabled": True},
                                    {"types": ["scheduler"], "enabled": False}]},
        encryptionConfig=[{"resources": ["secrets"], "provider": {"keyArn": KEY}}])
    client.create_cluster(
        name="sandbox", roleArn=role,
        resourcesVpcConfig={**subnets, "endpointPublicAccess": True, "endpointPrivateAccess": False,
                            "publicAccessCidrs": ["0.0.0.0/0"]},
        logging={"clusterLogging": [{"types": ["api"], "enabled": True}]})
    report = scan_moto(aws)
    good, bad = (f"arn:aws:eks:{E1}:{ACCOUNT}:cluster/{name}" for name in ("claims", "sandbox"))
    for rule in ("VG-EKS-001", "VG-EKS-002", "VG-EKS-003", "VG-EKS-004"):
        assert results_for(report, rule) == {good: Status.PASS, bad: Status.FAIL}, rule


def test_ecr_repositories(aws: Any) -> None:
    """Enhanced scanning: a registry rule that scans `claims-*` on push makes those repositories'
    effective scanning SCAN_ON_PUSH (BatchGetRepositoryScanningConfiguration), whatever their own flag."""
    client = aws("ecr")
    client.create_repository(repositoryName="claims-api", imageTagMutability="IMMUTABLE",
                             encryptionConfiguration={"encryptionType": "KMS", "kmsKey": KEY})
    client.create_repository(repositoryName="scratch", imageTagMutability="MUTABLE",
                             imageScanningConfiguration={"scanOnPush": False})
    client.put_registry_scanning_configuration(scanType="ENHANCED", rules=[{
        "scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": "claims-*", "filterType": "WILDCARD"}]}])
    client.set_repository_policy(repositoryName="claims-api", policyText=policy(
        {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
         "Action": ["ecr:BatchGetImage"]}))
    client.set_repository_policy(repositoryName="scratch", policyText=policy(
        {"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": ["ecr:BatchGetImage"]}))
    report = scan_moto(aws)
    good, bad = (f"arn:aws:ecr:{E1}:{ACCOUNT}:repository/{name}" for name in ("claims-api", "scratch"))
    for rule in ("VG-ECR-001", "VG-ECR-002", "VG-ECR-003", "VG-ECR-004"):
        assert results_for(report, rule) == {good: Status.PASS, bad: Status.FAIL}, rule


def test_secrets_and_parameters_are_judged_on_metadata_and_their_values_never_read(aws: Any) -> None:
    secrets = aws("secretsmanager")
    good = secrets.create_secret(Name="claims/db", KmsKeyId=KEY, SecretString="hunter2-db-password")["ARN"]
    bad = secrets.create_secret(Name="claims/legacy", SecretString="hunter2-legacy-password")["ARN"]
    ssm = aws("ssm")
    ssm.put_parameter(Name="/claims/db/password", Type="SecureString", KeyId=KEY, Value="hunter2-param-secure")
    ssm.put_parameter(Name="/claims/clearinghouse/apiKey", Type="String", Value="hunter2-param-plain")
    ssm.put_parameter(Name="/claims/smtp/password", Type="SecureString", Value="hunter2-param-default-key")
    ssm.put_parameter(Name="/claims/region", Type="String", Value="us-east-1")
    report = scan_moto(aws)
    assert results_for(report, "VG-SEC-001") == {good: Status.PASS, bad: Status.FAIL}
    assert results_for(report, "VG-SEC-002") == {good: Status.FAIL, bad: Status.FAIL}  # neither rotates
    by_name = {address.rsplit(":parameter", 1)[-1]: status for address, status in
               results_for(report, "VG-SSM-001").items()}
    assert by_name == {"/claims/db/password": Status.PASS, "/claims/clearinghouse/apiKey": Status.FAIL,
                       "/claims/smtp/password": Status.PASS, "/claims/region": Status.NOT_APPLICABLE}
    by_name = {address.rsplit(":parameter", 1)[-1]: status for address, status in
               results_for(report, "VG-SSM-002").items()}
    assert by_name == {"/claims/db/password": Status.PASS, "/claims/smtp/password": Status.FAIL,
                       "/claims/clearinghouse/apiKey": Status.NOT_APPLICABLE, "/claims/region": Status.NOT_APPLICABLE}
    assert "hunter2" not in everything(report)


def test_secret_rotation(aws: Any) -> None:
    lam = aws("lambda")
    role = aws("iam").create_role(RoleName="rotator", AssumeRolePolicyDocument=trust(
        {"Service": "lambda.amazonaws.com"}))["Role"]["Arn"]
    rotator = lam.create_function(FunctionName="rotate-db", Runtime="python3.12", Role=role,
                                  Handler="index.handler", Code={"ZipFile": lambda_zip()})["FunctionArn"]
    secrets = aws("secretsmanager")
    arn = secrets.create_secret(Name="claims/db", KmsKeyId=KEY, SecretString="hunter2")["ARN"]
    secrets.rotate_secret(SecretId=arn, RotationLambdaARN=rotator, RotationRules={"AutomaticallyAfterDays": 30},
                          RotateImmediately=False)
    report = scan_moto(aws)
    assert results_for(report, "VG-SEC-002") == {arn: Status.PASS}


def test_iam_attachments_and_access_keys(aws: Any) -> None:
    """moto's server has no AWS managed policies to attach (AdministratorAccess is attached by the
    Stubber test below): here, customer managed policies on a role and a group, and a user's key."""
    client = aws("iam")
    deploy = client.create_policy(PolicyName="deploy", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}))["Policy"]["Arn"]
    client.create_role(RoleName="deploy", AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
    client.attach_role_policy(RoleName="deploy", PolicyArn=deploy)
    client.create_group(GroupName="ops")
    client.attach_group_policy(GroupName="ops", PolicyArn=deploy)
    client.create_user(UserName="ci")
    key = client.create_access_key(UserName="ci")["AccessKey"]
    report = scan_moto(aws)
    assert results_for(report, "VG-IAM-007") == {
        f"arn:aws:iam::{ACCOUNT}:role/deploy/attached/deploy": Status.PASS,
        f"arn:aws:iam::{ACCOUNT}:group/ops/attached/deploy": Status.PASS}
    address = f"arn:aws:iam::{ACCOUNT}:user/ci/access-key/{key['AccessKeyId']}"
    # a key made just now: young, and never used
    assert results_for(report, "VG-IAM-008") == {address: Status.PASS}
    assert results_for(report, "VG-IAM-009") == {address: Status.FAIL}
    assert results_for(report, "VG-IAM-010") == {}  # a plan-time rule: live keys are judged by age and use
    assert key["SecretAccessKey"] not in everything(report)


def test_classic_security_groups(aws: Any) -> None:
    rds = aws("rds")
    rds.create_db_security_group(DBSecurityGroupName="claims-db", DBSecurityGroupDescription="claims")
    rds.authorize_db_security_group_ingress(DBSecurityGroupName="claims-db", CIDRIP="10.20.0.0/16")
    rds.create_db_security_group(DBSecurityGroupName="legacy-db", DBSecurityGroupDescription="legacy")
    rds.authorize_db_security_group_ingress(DBSecurityGroupName="legacy-db", CIDRIP="0.0.0.0/0")
    report = scan_moto(aws)
    found = {address.rsplit(":", 1)[-1]: status for address, status in results_for(report, "VG-EC2-015").items()}
    assert {k: v for k, v in found.items() if k in ("claims-db", "legacy-db")} == {
        "claims-db": Status.PASS, "legacy-db": Status.FAIL}


# == Stubber: what moto does not do ================================================================

FUNCTION = f"arn:aws:lambda:{E1}:{ACCOUNT}:function:claims-export"


def _function(stub: Stubber) -> None:
    stub.add_response("list_functions", {"Functions": [{"FunctionName": "claims-export", "FunctionArn": FUNCTION}]})


def _url(function_arn: str, auth: str) -> dict[str, Any]:
    now = "2026-12-01T00:00:00.000+0000"
    return {"FunctionUrl": f"https://{auth.lower()}.lambda-url.{E1}.on.aws/", "FunctionArn": function_arn,
            "AuthType": auth, "CreationTime": now, "LastModifiedTime": now}


def test_function_urls_of_the_function_and_its_aliases() -> None:
    client, stub = stubbed("lambda")
    _function(stub)
    stub.add_response("list_function_url_configs", {"FunctionUrlConfigs": [
        _url(FUNCTION, "AWS_IAM"), _url(f"{FUNCTION}:live", "NONE")]}, {"FunctionName": FUNCTION})
    with stub:
        ctx = collect(awslambda.FunctionUrls, {"lambda": client})
    assert {r.attributes["qualifier"] for r in ctx.resources} == {None, "live"}
    assert verdicts(ctx, "VG-LMB-002") == {("VG-LMB-002", f"{FUNCTION}/url"): Status.PASS,
                                           ("VG-LMB-002", f"{FUNCTION}:live/url"): Status.FAIL}


def _repositories(stub: Stubber, *names: str) -> None:
    stub.add_response("describe_repositories", {"repositories": [{
        "repositoryName": name, "repositoryArn": f"arn:aws:ecr:{E1}:{ACCOUNT}:repository/{name}",
        "imageTagMutability": "IMMUTABLE", "encryptionConfiguration": {"encryptionType": "AES256"}}
        for name in names]})


def test_basic_scanning_reads_each_repository_s_scan_on_push_and_failures_are_unknown() -> None:
    client, stub = stubbed("ecr")
    _repositories(stub, "claims-api", "scratch", "gone")
    stub.add_response("batch_get_repository_scanning_configuration", {
        "scanningConfigurations": [
            {"repositoryName": "claims-api", "scanOnPush": True, "scanFrequency": "SCAN_ON_PUSH"},
            {"repositoryName": "scratch", "scanOnPush": False, "scanFrequency": "MANUAL"}],
        "failures": [{"repositoryName": "gone", "failureCode": "REPOSITORY_NOT_FOUND"}]},
        {"repositoryNames": ["claims-api", "scratch", "gone"]})
    for _ in range(3):
        stub.add_client_error("get_repository_policy", service_error_code="RepositoryPolicyNotFoundException",
                              http_status_code=400)
    with stub:
        ctx = collect(ecr.EcrRepositories, {"ecr": client})
    found = {address.rsplit("/", 1)[-1]: status for (_, address), status in verdicts(ctx, "VG-ECR-001").items()}
    assert found == {"claims-api": Status.PASS, "scratch": Status.FAIL, "gone": Status.UNKNOWN}
    assert {r.attributes["policy"] for r in ctx.resources} == {None}


def test_the_aws_managed_ecr_key_reads_as_its_alias() -> None:
    managed = f"arn:aws:kms:{E1}:{ACCOUNT}:key/0000aaaa-1111-2222-3333-444455556666"
    client, stub = stubbed("ecr")
    stub.add_response("describe_repositories", {"repositories": [{
        "repositoryName": "claims-api", "repositoryArn": f"arn:aws:ecr:{E1}:{ACCOUNT}:repository/claims-api",
        "imageTagMutability": "IMMUTABLE", "encryptionConfiguration": {"encryptionType": "KMS", "kmsKey": managed}}]})
    stub.add_response("batch_get_repository_scanning_configuration", {"scanningConfigurations": []})
    stub.add_client_error("get_repository_policy", service_error_code="RepositoryPolicyNotFoundException")
    kms, kms_stub = stubbed("kms")
    kms_stub.add_response("describe_key", {"KeyMetadata": {"KeyId": "0000aaaa", "Arn": managed}},
                          {"KeyId": "alias/aws/ecr"})
    with stub, kms_stub:
        ctx = collect(ecr.EcrRepositories, {"ecr": client, "kms": kms})
    [repo] = ctx.resources
    assert repo.attributes["encryption_configuration"][0]["kms_key"].endswith(":alias/aws/ecr")
    assert set(verdicts(ctx, "VG-ECR-003").values()) == {Status.FAIL}


def test_denied_cluster_description_is_unknown() -> None:
    client, stub = stubbed("eks")
    stub.add_response("list_clusters", {"clusters": ["claims"]})
    stub.add_client_error("describe_cluster", **DENIED)
    with stub:
        ctx = collect(eks.EksClusters, {"eks": client})
    rules = ("VG-EKS-001", "VG-EKS-002", "VG-EKS-003", "VG-EKS-004")
    assert set(verdicts(ctx, *rules).values()) == {Status.UNKNOWN}
    assert "AccessDeniedException on eks:DescribeCluster" in ctx.resources[0].unknown_reason


def _user(stub: Stubber) -> None:
    stub.add_response("get_account_authorization_details", {
        "UserDetailList": [{"UserName": "ci", "Arn": f"arn:aws:iam::{ACCOUNT}:user/ci", "UserId": "AIDACIEXAMPLE000001",
                            "Path": "/", "CreateDate": datetime(2020, 1, 1, tzinfo=timezone.utc)}],
        "RoleDetailList": [], "GroupDetailList": [], "Policies": [], "IsTruncated": False},
        {"Filter": ["User", "Role", "Group", "LocalManagedPolicy"]})


def test_administrator_access_on_roles_users_and_groups() -> None:
    client, stub = stubbed("iam")
    admin = {"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}
    readonly = {"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}
    created = datetime(2020, 1, 1, tzinfo=timezone.utc)
    stub.add_response("get_account_authorization_details", {
        "UserDetailList": [{"UserName": "jdoe", "Arn": f"arn:aws:iam::{ACCOUNT}:user/jdoe", "UserId": "AIDAJDOEEXAMPLE0001",
                            "Path": "/", "CreateDate": created, "AttachedManagedPolicies": [admin]}],
        "RoleDetailList": [
            {"RoleName": "deploy", "Arn": f"arn:aws:iam::{ACCOUNT}:role/deploy", "RoleId": "AROADEPLOYEXAMPLE001", "Path": "/",
             "CreateDate": created, "AssumeRolePolicyDocument": trust({"Service": "ec2.amazonaws.com"}),
             "AttachedManagedPolicies": [admin, readonly]}],
        "GroupDetailList": [{"GroupName": "ops", "Arn": f"arn:aws:iam::{ACCOUNT}:group/ops", "GroupId": "AGPAOPSEXAMPLE00001",
                             "Path": "/", "CreateDate": created, "AttachedManagedPolicies": [admin]}],
        "Policies": [], "IsTruncated": False}, {"Filter": ["User", "Role", "Group", "LocalManagedPolicy"]})
    stub.add_client_error("get_login_profile", service_error_code="NoSuchEntity", http_status_code=404)
    stub.add_response("list_mfa_devices", {"MFADevices": [], "IsTruncated": False}, {"UserName": "jdoe"})
    with stub:
        ctx = collect(iam.Authorization, {"iam": client})
    found = {address.split(":", 5)[-1]: status for (_, address), status in verdicts(ctx, "VG-IAM-007").items()}
    assert found == {"role/deploy/attached/AdministratorAccess": Status.FAIL,
                     "role/deploy/attached/ReadOnlyAccess": Status.PASS,
                     "group/ops/attached/AdministratorAccess": Status.FAIL,
                     "user/jdoe/attached/AdministratorAccess": Status.FAIL}
    assert {a.split(":", 5)[-1]: s for (_, a), s in verdicts(ctx, "VG-IAM-002").items()} == {
        "user/jdoe/attached/AdministratorAccess": Status.FAIL}


def test_access_key_age_and_last_use() -> None:
    now = datetime.now(timezone.utc)
    client, stub = stubbed("iam")
    _user(stub)
    stub.add_response("list_access_keys", {"AccessKeyMetadata": [
        {"UserName": "ci", "AccessKeyId": "AKIAOLDBUTUSED000001", "Status": "Active", "CreateDate": now - timedelta(days=400)},
        {"UserName": "ci", "AccessKeyId": "AKIANEWANDUSED000002", "Status": "Active", "CreateDate": now - timedelta(days=10)},
        {"UserName": "ci", "AccessKeyId": "AKIAIDLEFORAGES00003", "Status": "Active", "CreateDate": now - timedelta(days=30)},
        {"UserName": "ci", "AccessKeyId": "AKIAINACTIVEKEY00004", "Status": "Inactive", "CreateDate": now - timedelta(days=900)},
    ], "IsTruncated": False}, {"UserName": "ci"})
    stub.add_response("get_access_key_last_used", {"UserName": "ci", "AccessKeyLastUsed": {
        "LastUsedDate": now - timedelta(days=1), "ServiceName": "s3", "Region": E1}}, {"AccessKeyId": "AKIAOLDBUTUSED000001"})
    stub.add_response("get_access_key_last_used", {"UserName": "ci", "AccessKeyLastUsed": {
        "LastUsedDate": now - timedelta(hours=3), "ServiceName": "ecr", "Region": E1}}, {"AccessKeyId": "AKIANEWANDUSED000002"})
    stub.add_response("get_access_key_last_used", {"UserName": "ci", "AccessKeyLastUsed": {
        "ServiceName": "N/A", "Region": "N/A"}}, {"AccessKeyId": "AKIAIDLEFORAGES00003"})
    stub.add_client_error("get_access_key_last_used", **DENIED, expected_params={"AccessKeyId": "AKIAINACTIVEKEY00004"})
    with stub:
        ctx = collect(iam.AccessKeys, {"iam": client})
    found = verdicts(ctx, "VG-IAM-008", "VG-IAM-009")
    short = {(rule, address.rsplit("/", 1)[-1][4:10]): status for (rule, address), status in found.items()}
    assert short == {
        ("VG-IAM-008", "OLDBUT"): Status.FAIL, ("VG-IAM-009", "OLDBUT"): Status.PASS,
        ("VG-IAM-008", "NEWAND"): Status.PASS, ("VG-IAM-009", "NEWAND"): Status.PASS,
        ("VG-IAM-008", "IDLEFO"): Status.PASS, ("VG-IAM-009", "IDLEFO"): Status.FAIL,  # never used
        ("VG-IAM-008", "INACTI"): Status.NOT_APPLICABLE, ("VG-IAM-009", "INACTI"): Status.NOT_APPLICABLE,
    }
    inactive = next(r for r in ctx.resources if r.address.endswith("00004"))
    assert inactive.attributes["days_since_last_used"] is UNKNOWN
    assert "AccessDeniedException on iam:GetAccessKeyLastUsed" in inactive.unknown_reason


@pytest.mark.parametrize("service,seed,operation,collector,standing_for,rules", [
    ("lambda", _function, "list_function_url_configs", awslambda.FunctionUrls, f"{FUNCTION}/urls", ("VG-LMB-002",)),
    ("iam", _user, "list_access_keys", iam.AccessKeys, f"arn:aws:iam::{ACCOUNT}:user/ci/access-keys",
     ("VG-IAM-008", "VG-IAM-009")),
])
def test_a_denied_per_resource_listing_leaves_one_unknown_resource_standing_for_it(
        service: str, seed: Any, operation: str, collector: type, standing_for: str, rules: tuple[str, ...]) -> None:
    client, stub = stubbed(service)
    seed(stub)
    stub.add_client_error(operation, **DENIED)
    with stub:
        ctx = collect(collector, {service: client})
    [resource] = ctx.resources
    assert resource.address == standing_for
    assert "AccessDeniedException on " in resource.unknown_reason
    assert set(verdicts(ctx, *rules).values()) == {Status.UNKNOWN}


def test_redshift_security_group_ranges() -> None:
    client, stub = stubbed("redshift")
    stub.add_response("describe_cluster_security_groups", {"ClusterSecurityGroups": [
        {"ClusterSecurityGroupName": "warehouse", "Description": "reporting",
         "IPRanges": [{"Status": "authorized", "CIDRIP": "10.20.0.0/16"}],
         "EC2SecurityGroups": [{"Status": "authorized", "EC2SecurityGroupName": "bi", "EC2SecurityGroupOwnerId": ACCOUNT}]},
        {"ClusterSecurityGroupName": "legacy", "Description": "old",
         "IPRanges": [{"Status": "authorized", "CIDRIP": "0.0.0.0/0"}]},
        {"ClusterSecurityGroupName": "odd", "Description": "a range AWS answered without its CIDR",
         "IPRanges": [{"Status": "authorized"}]}]})
    with stub:
        ctx = collect(classic.RedshiftSecurityGroups, {"redshift": client})
    found = {address.rsplit(":", 1)[-1]: status for (_, address), status in verdicts(ctx, "VG-EC2-015").items()}
    assert found == {"warehouse": Status.PASS, "legacy": Status.FAIL, "odd": Status.UNKNOWN}


# == the named function ============================================================================

@pytest.mark.parametrize("name,secret", [
    ("/claims/prod/db/password", True), ("DB_PASSWORD", True), ("dbPassword", True), ("/app/stripe/apiKey", True),
    ("/svc/oauth/client_secret", True), ("/app/github/token", True), ("/app/ssh/private-key", True),
    ("/app/ssh/key", True), ("/app/partner/credentials", True), ("/app/smtp/passwd", True),
    ("/app/kms/key-id", False), ("/app/kms/keyArn", False), ("/app/compass/heading", False),
    ("/app/monkey", False), ("/app/region", False), ("/app/tokenizer/model", False), ("", False),
])
def test_secret_like_names(name: str, secret: bool) -> None:
    assert secret_like_name(name) is secret
