"""Seed a moto endpoint with a large vendor account (about `size` resources spread over `regions`)
for the live benchmark.  Roughly a third of everything is deliberately misconfigured."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import boto3

REGIONS = ["us-east-1", "us-west-2", "eu-west-1"]

# per region: (what, how many per 2,000 resources)
PER_REGION = {"security_groups": 150, "volumes": 150, "kms_keys": 40, "log_groups": 60, "topics": 40,
              "queues": 40, "tables": 30, "databases": 8, "subnets": 60}
GLOBAL = {"buckets": 100, "roles": 100}


def seed(endpoint: str, size: int = 2000, regions: list[str] = REGIONS) -> int:
    scale = size / (sum(PER_REGION.values()) * len(regions) + sum(GLOBAL.values()))
    made = 0

    def client(service: str, region: str = regions[0]) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=endpoint)

    def many(n: float, make: Callable[[int], Any]) -> int:
        count = max(1, int(n * scale))
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(make, range(count)))
        return count

    for region in regions:
        ec2, kms, logs = client("ec2", region), client("kms", region), client("logs", region)
        sns, sqs, ddb, rds = client("sns", region), client("sqs", region), client("dynamodb", region), client("rds", region)
        vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]

        def group(i: int) -> None:
            gid = ec2.create_security_group(GroupName=f"svc-{i}", Description="svc", VpcId=vpc)["GroupId"]
            cidr = "0.0.0.0/0" if i % 3 == 0 else "10.0.0.0/8"
            ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": cidr}]}])

        made += many(PER_REGION["security_groups"], group)
        made += many(PER_REGION["volumes"], lambda i: ec2.create_volume(
            AvailabilityZone=f"{region}a", Size=10, Encrypted=i % 3 != 0))
        made += many(PER_REGION["subnets"], lambda i: ec2.create_subnet(
            VpcId=vpc, CidrBlock=f"10.50.{i}.0/24", AvailabilityZone=f"{region}a"))

        def key(i: int) -> None:
            key_id = kms.create_key(Description=f"key {i}")["KeyMetadata"]["KeyId"]
            if i % 3:
                kms.enable_key_rotation(KeyId=key_id)

        made += many(PER_REGION["kms_keys"], key)
        made += many(PER_REGION["log_groups"], lambda i: logs.create_log_group(logGroupName=f"/svc/{i}"))
        made += many(PER_REGION["topics"], lambda i: sns.create_topic(Name=f"topic-{i}"))
        made += many(PER_REGION["queues"], lambda i: sqs.create_queue(QueueName=f"queue-{i}"))
        made += many(PER_REGION["tables"], lambda i: ddb.create_table(
            TableName=f"table-{i}", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}]))
        made += many(PER_REGION["databases"], lambda i: rds.create_db_instance(
            DBInstanceIdentifier=f"db-{i}", Engine="postgres", DBInstanceClass="db.t3.micro", AllocatedStorage=20,
            MasterUsername="admin_user", MasterUserPassword="bench-password-1", StorageEncrypted=i % 3 != 0,
            BackupRetentionPeriod=7 if i % 2 else 0))
    s3, iam = client("s3"), client("iam")
    made += many(GLOBAL["buckets"], lambda i: s3.create_bucket(Bucket=f"bench-bucket-{i}"))
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:AssumeRole"}]})
    made += many(GLOBAL["roles"], lambda i: iam.create_role(RoleName=f"role-{i}", AssumeRolePolicyDocument=trust))
    return made
