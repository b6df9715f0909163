"""Live scanning against a moto server over HTTP: collectors, regions, accounts, fail-closed, read-only."""
from __future__ import annotations

from typing import Any

import pytest

from conftest import results_for, scan_moto, trust
from vendorguard.scanner.model import Status
from vendorguard.scanner.sources.aws.live import declared_operations, needed_collectors

ACCOUNT = "123456789012"  # moto's default account


def test_security_groups_volumes_and_default_groups(aws: Any) -> None:
    ec2 = aws("ec2")
    open_ssh = ec2.create_security_group(GroupName="bastion", Description="ssh")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=open_ssh, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    private_db = ec2.create_security_group(GroupName="db", Description="pg")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=private_db, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}])
    plain = ec2.create_volume(AvailabilityZone="us-east-1a", Size=10)["VolumeId"]
    sealed = ec2.create_volume(AvailabilityZone="us-east-1a", Size=10, Encrypted=True)["VolumeId"]
    report = scan_moto(aws)
    ssh = results_for(report, "VG-EC2-004")
    assert ssh[f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/{open_ssh}"] is Status.FAIL
    assert ssh[f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/{private_db}"] is Status.PASS
    volumes = results_for(report, "VG-EC2-001")
    assert volumes[f"arn:aws:ec2:us-east-1:{ACCOUNT}:volume/{plain}"] is Status.FAIL
    assert volumes[f"arn:aws:ec2:us-east-1:{ACCOUNT}:volume/{sealed}"] is Status.PASS
    assert all(r.account == ACCOUNT for r in report.results)
    assert all(r.region for r in report.results if r.rule_id.startswith("VG-EC2-00"))
    # moto's default VPC has a default security group that allows egress: not closed
    assert Status.FAIL in results_for(report, "VG-EC2-007").values()


def test_buckets_read_per_bucket(aws: Any) -> None:
    s3 = aws("s3")
    s3.create_bucket(Bucket="claims-phi")
    s3.put_bucket_versioning(Bucket="claims-phi", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(Bucket="claims-phi", ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/phi"}}]})
    s3.put_bucket_tagging(Bucket="claims-phi", Tagging={"TagSet": [{"Key": "DataClassification", "Value": "PHI"}]})
    s3.put_public_access_block(Bucket="claims-phi", PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.create_bucket(Bucket="marketing-site")
    s3.put_bucket_acl(Bucket="marketing-site", ACL="public-read")
    report = scan_moto(aws)
    phi, site = "arn:aws:s3:::claims-phi", "arn:aws:s3:::marketing-site"
    assert results_for(report, "VG-S3-004") == {phi: Status.PASS, site: Status.FAIL}
    assert results_for(report, "VG-S3-002")[phi] is Status.PASS
    assert results_for(report, "VG-S3-006") == {phi: Status.PASS, site: Status.FAIL}
    assert results_for(report, "VG-S3-008") == {phi: Status.PASS, site: Status.FAIL}


def test_cross_account_trust_without_external_id(aws: Any) -> None:
    iam = aws("iam")
    iam.create_role(RoleName="partner-no-extid", AssumeRolePolicyDocument=trust({"AWS": "arn:aws:iam::444455556666:root"}))
    iam.create_role(RoleName="partner-extid", AssumeRolePolicyDocument=trust(
        {"AWS": "arn:aws:iam::444455556666:root"}, {"StringEquals": {"sts:ExternalId": "c0ffee"}}))
    iam.create_role(RoleName="same-account", AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    found = results_for(scan_moto(aws), "VG-TPA-001")
    assert found == {f"arn:aws:iam::{ACCOUNT}:role/partner-no-extid": Status.FAIL,
                     f"arn:aws:iam::{ACCOUNT}:role/partner-extid": Status.PASS,
                     f"arn:aws:iam::{ACCOUNT}:role/same-account": Status.PASS}


def test_region_controls_are_judged_per_region(aws: Any) -> None:
    aws("guardduty", "us-east-1").create_detector(Enable=True)
    found = results_for(scan_moto(aws, regions="us-east-1,eu-west-1"), "VG-GD-001")
    assert found == {f"{ACCOUNT}/us-east-1/aws_guardduty_detector": Status.PASS,
                     f"{ACCOUNT}/eu-west-1/aws_guardduty_detector": Status.FAIL}


def test_only_the_collectors_the_rules_need_run(aws: Any) -> None:
    assert [c.__name__ for c in needed_collectors({"aws_ebs_volume"})] == ["Volumes"]
    for collector in needed_collectors({"aws_s3_bucket", "aws_iam_role"}):
        assert set(collector.types) & {"aws_s3_bucket", "aws_iam_role"}


def test_every_declared_operation_is_a_configuration_read() -> None:
    from vendorguard.scanner.sources.aws.session import is_configuration_read

    assert all(is_configuration_read(op) for _, op in declared_operations())


def _member_client(aws: Any, account_id: str, service: str) -> Any:
    """A client acting inside a member account (moto keys the account off the assumed credentials)."""
    import boto3

    creds = aws("sts").assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/VendorAudit",
                                   RoleSessionName="seed")["Credentials"]
    return boto3.client(service, region_name="us-east-1", endpoint_url=aws.endpoint,
                        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"])


def test_every_account_of_the_organization_is_scanned_through_the_role(aws: Any) -> None:
    """--org lists the organization's active accounts and assumes --role-name in each; each
    account's resources and account-scope controls are its own."""
    org = aws("organizations")
    org.create_organization(FeatureSet="ALL")
    members = [org.create_account(AccountName=n, Email=f"{n}@example.com")["CreateAccountStatus"]["AccountId"]
               for n in ("billing-prod", "billing-dev")]
    _member_client(aws, members[0], "ec2").create_volume(AvailabilityZone="us-east-1a", Size=8, Encrypted=False)
    _member_client(aws, members[1], "ec2").create_volume(AvailabilityZone="us-east-1a", Size=8, Encrypted=True)

    report = scan_moto(aws, org=True, role_name="VendorAudit")
    volumes = {r.account: r.status for r in report.results if r.rule_id == "VG-EC2-001"}
    assert volumes[members[0]] is Status.FAIL and volumes[members[1]] is Status.PASS
    trails = {r.account for r in report.results if r.rule_id == "VG-CT-001"}
    assert {ACCOUNT, *members} <= trails, "the management account and both members are judged"


def test_accounts_need_a_role_name(aws: Any) -> None:
    from vendorguard.scanner.errors import InputError

    with pytest.raises(InputError, match="--role-name"):
        scan_moto(aws, accounts=["111122223333"])
