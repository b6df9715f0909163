"""The named domain functions rules call: policy documents, ports, CIDRs, tags."""
from __future__ import annotations

import json

import pytest

from conftest import policy, trust
from vendorguard.scanner.catalog import compiler
from vendorguard.scanner.context import NO_CONTEXT, EvalContext
from vendorguard.scanner.functions import VendorguardFunctions
from vendorguard.scanner.model import UNKNOWN

F = VendorguardFunctions()


def call(name: str, *args: object) -> object:
    return F.FUNCTION_TABLE[name]["function"](F, *args)


TLS_DENY = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


@pytest.mark.parametrize("doc,expected", [
    (policy(TLS_DENY), True),
    (json.loads(policy(TLS_DENY)), True),                                   # Pulumi gives objects
    (policy({**TLS_DENY, "Principal": {"AWS": "*"}}), True),
    (policy({**TLS_DENY, "Condition": {"Bool": {"aws:securetransport": ["false"]}}}), True),
    (policy({**TLS_DENY, "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}}), True),
    (policy({**TLS_DENY, "Effect": "Allow"}), False),
    (policy({**TLS_DENY, "Principal": {"AWS": "arn:aws:iam::111122223333:root"}}), False),
    (policy({**TLS_DENY, "Condition": {"Bool": {"aws:SecureTransport": "true"}}}), False),
    (None, False), ("", False), ("not json", False),
])
def test_denies_insecure_transport(doc: object, expected: bool) -> None:
    assert call("denies_insecure_transport", doc) is expected


@pytest.mark.parametrize("statement,expected", [
    ({"Effect": "Allow", "Action": "*", "Resource": "*"}, True),
    ({"Effect": "Allow", "Action": ["*:*"], "Resource": ["*"]}, True),
    ({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, False),
    ({"Effect": "Deny", "Action": "*", "Resource": "*"}, False),
    ({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/*"}, False),
])
def test_grants_full_admin(statement: dict, expected: bool) -> None:
    assert call("grants_full_admin", policy(statement)) is expected


@pytest.mark.parametrize("statement,expected", [
    ({"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}, ["Open"]),
    ({"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "sqs:*"}, ["statement 0"]),
    ({"Effect": "Allow", "Principal": "*", "Action": "sns:Publish",
      "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}}, []),
    ({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
      "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}}, []),
    ({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "*"}, []),
    ({"Effect": "Deny", "Principal": "*", "Action": "*"}, []),
])
def test_public_grants(statement: dict, expected: list) -> None:
    assert call("public_grants", policy(statement)) == expected


@pytest.mark.parametrize("doc,own,expected", [
    (trust({"AWS": "arn:aws:iam::444455556666:root"}), "111122223333", ["arn:aws:iam::444455556666:root"]),
    (trust({"AWS": "444455556666"}), "111122223333", ["444455556666"]),
    (trust({"AWS": "arn:aws:iam::444455556666:root"}, {"StringEquals": {"sts:ExternalId": "x"}}), "111122223333", []),
    (trust({"AWS": "arn:aws:iam::111122223333:role/ci"}), "111122223333", []),
    (trust({"Service": "ec2.amazonaws.com"}), UNKNOWN, []),
    (trust("*"), UNKNOWN, ["*"]),
    (trust({"AWS": "arn:aws:iam::444455556666:root"}), UNKNOWN, UNKNOWN),    # may be foreign
    (trust({"AWS": "${var.partner}"}), "111122223333", UNKNOWN),           # unreadable principal
    (UNKNOWN, "111122223333", UNKNOWN),
])
def test_untrusted_principals(doc: object, own: object, expected: object) -> None:
    got = call("untrusted_principals", doc, own)
    assert got is UNKNOWN if expected is UNKNOWN else got == expected


def test_own_account_answers_from_the_context_it_is_given() -> None:
    """One compiled expression, two contexts, two answers — also inside an ``&expr`` argument."""
    expression = compiler().compile("[own_account(), resource_type(), map(&own_account(), items)]")
    data = {"items": [1, 2]}
    assert expression(data, EvalContext("111122223333", "aws_iam_role")) == [
        "111122223333", "aws_iam_role", ["111122223333", "111122223333"]]
    assert expression(data, EvalContext("444455556666", "aws_s3_bucket")) == [
        "444455556666", "aws_s3_bucket", ["444455556666", "444455556666"]]
    account, rtype, _ = expression(data, NO_CONTEXT)
    assert account is UNKNOWN and rtype is None


def rule(protocol: str, low: object, high: object, cidrs: list, v6: list | None = None) -> dict:
    return {"protocol": protocol, "from_port": low, "to_port": high, "cidr_blocks": cidrs,
            "ipv6_cidr_blocks": v6 or []}


@pytest.mark.parametrize("rules,ports,expected", [
    ([rule("tcp", 22, 22, ["0.0.0.0/0"])], [22], ["port 22 open to 0.0.0.0/0"]),
    ([rule("tcp", 0, 65535, ["0.0.0.0/0"])], [3389], ["all ports open to 0.0.0.0/0"]),
    ([rule("-1", 0, 0, [], ["::/0"])], [22], ["all ports open to ::/0"]),
    ([rule("tcp", 20, 30, ["10.0.0.0/8"])], [22], []),
    ([rule("tcp", 443, 443, ["0.0.0.0/0"])], [22], []),
    ([rule("icmp", -1, -1, ["0.0.0.0/0"])], [22], []),
    ([rule("tcp", 22, 22, [UNKNOWN])], [22], UNKNOWN),
    ([UNKNOWN, rule("tcp", 22, 22, ["0.0.0.0/0"])], [22], ["port 22 open to 0.0.0.0/0"]),   # known bad decides
    ([{"action": "deny", "protocol": "-1", "cidr_block": "0.0.0.0/0"}], [22], []),          # NACL deny
    ([{"action": "allow", "protocol": "6", "from_port": 22, "to_port": 22, "cidr_block": "0.0.0.0/0"}], [22],
     ["port 22 open to 0.0.0.0/0"]),
    (None, [22], []),
    (UNKNOWN, [22], UNKNOWN),
])
def test_world_ingress(rules: object, ports: list, expected: object) -> None:
    got = call("world_ingress", rules, ports)
    assert got is UNKNOWN if expected is UNKNOWN else got == expected


def test_world_ingress_all_ports_only_counts_full_ranges() -> None:
    assert call("world_ingress_all_ports", [rule("tcp", 22, 22, ["0.0.0.0/0"])]) == []
    assert call("world_ingress_all_ports", [rule("-1", 0, 0, ["0.0.0.0/0"])]) == ["all ports open to 0.0.0.0/0"]


@pytest.mark.parametrize("tags,expected", [
    ({"DataClassification": "PHI"}, True), ({"data-classification": "ePHI"}, True),
    ({"hipaa": "true"}, True), ({"DataClassification": "public"}, False), (None, False), ({}, False),
])
def test_phi_tagged(tags: object, expected: bool) -> None:
    assert call("phi_tagged", tags) is expected


def test_network_acl_entries_are_evaluated_in_rule_order() -> None:
    deny_first = [{"rule_no": 100, "action": "allow", "protocol": "-1", "cidr_block": "0.0.0.0/0"},
                  {"rule_no": 90, "action": "deny", "protocol": "-1", "cidr_block": "0.0.0.0/0"}]
    assert call("world_ingress_all_ports", deny_first) == []
    ssh_denied = [{"rule_no": 10, "action": "deny", "protocol": "6", "from_port": 22, "to_port": 22,
                   "cidr_block": "0.0.0.0/0"},
                  {"rule_no": 20, "action": "allow", "protocol": "-1", "cidr_block": "0.0.0.0/0"}]
    assert call("world_ingress", ssh_denied, [22]) == []
    assert call("world_ingress", ssh_denied, [3389]) == ["all ports open to 0.0.0.0/0"]


def test_port_ranges_count_as_all_ports_when_they_span_them() -> None:
    assert call("world_ingress_all_ports", [rule("tcp", 1, 65535, ["0.0.0.0/0"])]) == ["all ports open to 0.0.0.0/0"]
    assert call("world_ingress", [rule("tcp", 0, 0, ["0.0.0.0/0"])], [22]) == []   # port 0 is port 0


def test_withheld_policies_are_unknown_not_empty() -> None:
    from vendorguard.scanner.model import REDACTED

    for name in ("denies_insecure_transport", "grants_full_admin", "public_grants"):
        assert call(name, REDACTED) is UNKNOWN, name
    assert call("untrusted_principals", REDACTED, "111122223333") is UNKNOWN


def test_an_ingress_rule_of_unknown_protocol_is_undecided_not_closed() -> None:
    """A world-open rule whose protocol is not known may be all traffic: UNKNOWN, never 'no port'."""
    from vendorguard.scanner.functions import _world_ingress

    rule = {"protocol": UNKNOWN, "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"]}
    assert _world_ingress([rule], [22]) is UNKNOWN
    assert _world_ingress([dict(rule, protocol="icmp")], [22]) == []
