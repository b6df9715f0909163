"""The AWS side of the command line, run as a user runs it: a mistyped account id, endpoint or
option is one line and exit 2, an endpoint that does not answer is named, and `iam-policy
--auditor` prints what the auditor's own identity needs."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import MOTO_ENV


def vendorguard(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("AWS_PROFILE", "AWS_ENDPOINT_URL")}
    return subprocess.run([sys.executable, "-m", "vendorguard.cli.main", *args], capture_output=True, text=True,
                          env={**clean, **MOTO_ENV, **env}, timeout=120)


def one_line_error(run: subprocess.CompletedProcess) -> str:
    assert run.returncode == 2 and run.stdout == "", run
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("vendorguard: error: "), run.stderr
    return run.stderr.strip()


def test_an_endpoint_that_does_not_answer_is_named() -> None:
    assert one_line_error(vendorguard("scan", "aws", "--endpoint-url", "http://127.0.0.1:9")) == \
        "vendorguard: error: --endpoint-url http://127.0.0.1:9: could not connect to the endpoint"


@pytest.mark.parametrize("args,env,where", [
    (("--endpoint-url", "not-a-url"), {}, "Invalid value for '--endpoint-url': 'not-a-url'"),
    ((), {"AWS_ENDPOINT_URL": "not-a-url"}, "AWS_ENDPOINT_URL not-a-url"),
])
def test_an_endpoint_that_is_not_a_url_is_a_usage_error(args: tuple[str, ...], env: dict[str, str], where: str) -> None:
    assert one_line_error(vendorguard("scan", "aws", *args, **env)) == \
        f"vendorguard: error: {where}: not an endpoint URL (http:// or https://, then a host)"


@pytest.mark.parametrize("args,option,value", [
    (("scan", "plan", "plan.json", "--account-id", "12345678901"), "--account-id", "12345678901"),
    (("scan", "state", "state.json", "--account-id", "１２３４５６７８９０１２"), "--account-id", "１２３４５６７８９０１２"),
    (("scan", "aws", "--accounts", "111122223333,11112222333a", "--role-name", "audit"), "--accounts", "11112222333a"),
    (("iam-policy", "--trust-account", "7777888899990", "--external-id", "x"), "--trust-account", "7777888899990"),
    (("iam-policy", "--auditor", "--role-name", "audit", "--accounts", "123"), "--accounts", "123"),
])
def test_account_ids_are_twelve_digits(args: tuple[str, ...], option: str, value: str) -> None:
    assert one_line_error(vendorguard(*args)) == \
        f"vendorguard: error: Invalid value for '{option}': '{value}' is not an AWS account id (12 digits)"


@pytest.mark.parametrize("args,problem", [
    (("--external-id", "s3cret"), "--external-id goes with --trust-account"),
    (("--role-name", "audit", "--org"), "--role-name goes with --auditor"),
    (("--auditor",), "--auditor needs --role-arn, or --role-name with --accounts or --org"),
    (("--auditor", "--role-name", "audit"), "--auditor needs --role-arn, or --role-name with --accounts or --org"),
    (("--auditor", "--role-arn", "practice-auditor"), "is not an IAM role ARN"),
    (("--auditor", "--role-arn", "arn:aws:iam::111122223333:role/a", "--org"), "are alternatives"),
    (("--auditor", "--trust-account", "777788889999", "--external-id", "x", "--role-name", "a", "--org"),
     "are alternatives"),
])
def test_iam_policy_options_that_do_not_apply_are_errors(args: tuple[str, ...], problem: str) -> None:
    assert problem in one_line_error(vendorguard("iam-policy", *args))


def statements(*args: str) -> list[dict[str, object]]:
    run = vendorguard("iam-policy", "--auditor", *args)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)["Statement"]


def test_the_auditor_policy_assumes_the_scanning_roles() -> None:
    assume = {"Sid": "VendorguardAssumeScanningRole", "Effect": "Allow", "Action": ["sts:AssumeRole"]}
    arn = "arn:aws:iam::111122223333:role/practice-auditor"
    assert statements("--role-arn", arn) == [{**assume, "Resource": [arn]}]
    assert statements("--role-name", "audit", "--accounts", "111122223333,222233334444") == [
        {**assume, "Resource": ["arn:aws:iam::111122223333:role/audit", "arn:aws:iam::222233334444:role/audit"]}]
    assert statements("--org", "--role-name", "audit") == [
        {**assume, "Resource": ["arn:aws:iam::*:role/audit"]},
        {"Sid": "VendorguardListOrganization", "Effect": "Allow",
         "Action": ["organizations:DescribeOrganization", "organizations:ListAccounts"], "Resource": "*"}]
