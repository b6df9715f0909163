"""The plain data every stage passes along: resources in, results out.

Every source (Terraform plan, Pulumi, live AWS) produces `Resource` records in the Terraform AWS
provider's vocabulary, so that each rule is written once and runs on all of them.  Values that are
not known (plan-time unknowns, unresolved Pulumi outputs, reads that were denied) are the
`UNKNOWN` sentinel *inside* the attribute tree, which lets conditions decide with three-valued
logic instead of guessing.  Values marked sensitive are replaced by `REDACTED` before a resource is
built, so no later stage can leak them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable


#: What an UNKNOWN value becomes once written out (evidence, reasons): JSON has no sentinel, and
#: every report recognises this string to say "not visible to the scanner".
UNKNOWN_MARK = "(unknown)"


class _Unknown:
    """The one value that stands for "not known": never equal to, less or greater than anything."""

    __slots__ = ()
    _instance: "_Unknown | None" = None

    def __new__(cls) -> "_Unknown":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return UNKNOWN_MARK

    def __reduce__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()

#: What a sensitive leaf becomes.  A non-empty string, so "is it set?" conditions still work.
REDACTED = "(sensitive)"

class Status(str, Enum):
    """Outcome of one rule on one resource (or one account/region for existence rules)."""

    PASS = "PASS"
    FAIL = "FAIL"
    UNKNOWN = "UNKNOWN"
    NOT_APPLICABLE = "NOT_APPLICABLE"
    WAIVED = "WAIVED"


SEVERITIES = ("critical", "high", "medium", "low")

DOMAINS = (
    "encryption-at-rest",
    "encryption-in-transit",
    "network",
    "threat-detection",
    "backup",
    "patching",
    "access-control",
    "logging",
    "data-exposure",
    "incident-response",
    "third-party-access",
)


def severity_rank(severity: str) -> int:
    """0 for critical … 3 for low; lower is worse."""
    return SEVERITIES.index(severity)


@dataclass(slots=True)
class Resource:
    """One resource, shaped like the Terraform AWS provider's resource of the same `type`."""

    address: str
    type: str
    attributes: dict[str, Any]
    source: str
    account: str | None = None
    region: str | None = None
    #: Dotted paths (list indices as numbers) whose value is UNKNOWN, for reports.
    unknown: frozenset[str] = frozenset()
    #: Dotted paths whose value was REDACTED.
    sensitive: frozenset[str] = frozenset()
    #: Why values are unknown when it is not "known after apply" (e.g. an AccessDenied).
    unknown_reason: str | None = None
    #: Where the resource is declared, for SARIF: (file, line) when the source knows it.
    file: str | None = None
    line: int | None = None


@dataclass(slots=True)
class Gap:
    """A part of the inventory that could not be read: every rule over it becomes UNKNOWN.

    Live scanning records one when a list call is denied or gives up; without it, a type whose
    listing failed would simply have no resources, and its rules would look clean.
    """

    resource_type: str
    reason: str
    account: str | None = None
    region: str | None = None


@dataclass(slots=True)
class Census:
    """What exists in one account and region by the source's own count — a live account's AWS Config
    discovered-resource counts — or why it could not be counted.

    A live scan sees only what its collectors read: a resource of a type none reads would vanish
    without a word.  `coverage` names each type counted here that the scan did not read.
    """

    account: str
    region: str
    #: Count by AWS Config resource type (``AWS::S3::Bucket``), only types with at least one.
    counts: dict[str, int]
    #: The Terraform types the scan read here (its collectors' types, and the split children they
    #: read inline with their parents).
    read: frozenset[str]
    #: Why the counts could not be had (a denied call); None when `counts` is the answer.
    problem: str | None = None


@dataclass(slots=True)
class Result:
    """One rule's verdict on one resource, with the evidence that decided it."""

    rule_id: str
    title: str
    domain: str
    severity: str
    status: Status
    address: str
    resource_type: str
    reason: str
    source: str
    account: str | None = None
    region: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    file: str | None = None
    line: int | None = None
    controls: list[str] = field(default_factory=list)
    #: The waiver that turned a FAIL/UNKNOWN into WAIVED: rule, address glob, justification,
    #: approved_by, expires.
    waiver: dict[str, Any] | None = None
    #: Against a baseline: "new" (not in it) or "existing"; None when no baseline was given.
    baseline: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the shape `policies/schemas/results.schema.json` publishes)."""
        return {
            "rule_id": self.rule_id,
            "title": self.title,
            "domain": self.domain,
            "severity": self.severity,
            "status": self.status.value,
            "address": self.address,
            "resource_type": self.resource_type,
            "source": self.source,
            "account": self.account,
            "region": self.region,
            "reason": self.reason,
            "evidence": self.evidence,
            "file": self.file,
            "line": self.line,
            "controls": self.controls,
            "waiver": self.waiver,
            "baseline": self.baseline,
        }


@dataclass(slots=True)
class Inventory:
    """What one source saw: the resources, what it could not read, and where it looked."""

    source: str
    #: The file, stack or account the inventory came from.
    origin: str
    resources: list[Resource]
    gaps: list[Gap] = field(default_factory=list)
    #: True when absence means absence (a live account); False for a plan, which shows only part
    #: of an account — there, an account-level control not in the plan is UNKNOWN, not FAIL.
    complete: bool = False
    #: (account, region) pairs where region-scoped existence rules are evaluated.
    scopes: set[tuple[str | None, str | None]] = field(default_factory=set)
    #: Things worth telling the user that are not results (types not assessed, unresolved links).
    notes: list[str] = field(default_factory=list)
    #: Source facts for reports (terraform version, identity, …).
    metadata: dict[str, Any] = field(default_factory=dict)
    #: False when the source judged the resources itself (checkov on HCL: no attributes to read).
    evaluate: bool = True
    #: Split child address → the parent it was folded into (checkov's merge, coverage).
    folded: dict[str, str] = field(default_factory=dict)
    #: (address, the source's own type) of managed resources read but not in the provider's
    #: vocabulary (a Pulumi type with no mapping): no rule can read them, and `coverage` lists them.
    unmodelled: list[tuple[str, str]] = field(default_factory=list)
    #: Split children the fold stage consumed (those tied to a parent are in `folded`): `coverage`
    #: counts each as evaluated through its parent, or lists it.
    consumed: list[Resource] = field(default_factory=list)
    #: What the source says exists, per account and region (live AWS only): `coverage` names the
    #: types present that were not read.
    census: list[Census] = field(default_factory=list)
    #: How this source ties a split child to its parent (`folding.Resolver`): used once by the
    #: pipeline's fold stage, then dropped.
    resolver: Callable[..., Any] | None = field(default=None, repr=False, compare=False)
