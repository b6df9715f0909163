"""ECR repositories: image scanning, tag immutability, encryption and the repository policy; and
the registry's scanning configuration and policy (one of each per region).

``image_scanning_configuration[0].scan_on_push`` is the repository's *effective* scanning, read
with BatchGetRepositoryScanningConfiguration: with basic scanning that is the repository's own
scan-on-push flag; with the registry's enhanced scanning (Amazon Inspector) the repository-level
flag is ignored and a registry filter that scans on push or continuously is what scans pushed
images — either way, pushed images are scanned.  ``kms_key`` names the AWS managed key by its
alias (``alias/aws/ecr``), as the provider's users write it, so that only a customer managed key
reads as one.
"""
from __future__ import annotations

from typing import Any

from ....model import UNKNOWN
from ..collector import Collector, Ctx, Reads, named
from .secrets import managed_key_as_alias

_SCANS_PUSHED = ("SCAN_ON_PUSH", "CONTINUOUS_SCAN")
_BATCH = 25  # BatchGetRepositoryScanningConfiguration takes at most 25 repository names


def _scanning(ctx: Ctx, names: list[str]) -> dict[str, Any]:
    """Repository name → whether pushed images are scanned, or the reason it is not known."""
    found: dict[str, Any] = {}
    for start in range(0, len(names), _BATCH):
        chunk = names[start:start + _BATCH]
        reads = ctx.reads("ecr")
        response = reads.get("BatchGetRepositoryScanningConfiguration", lambda r: r, repositoryNames=chunk)
        if response is UNKNOWN:
            found.update(dict.fromkeys(chunk, "; ".join(reads.reasons)))
            continue
        for config in response.get("scanningConfigurations") or []:
            found[config.get("repositoryName")] = (config.get("scanOnPush") is True
                                                   or config.get("scanFrequency") in _SCANS_PUSHED)
        for failure in response.get("failures") or []:
            found[failure.get("repositoryName")] = (f"ecr:BatchGetRepositoryScanningConfiguration failed for "
                                                    f"{failure.get('repositoryName')} ({failure.get('failureCode')})")
    return found


class EcrRepositories(Collector):
    types = ("aws_ecr_repository",)
    service = "ecr"
    operations = (("ecr", "DescribeRepositories"), ("ecr", "BatchGetRepositoryScanningConfiguration"),
                  ("ecr", "GetRepositoryPolicy"), ("kms", "DescribeKey"))

    def collect(self, ctx: Ctx) -> None:
        repositories = ctx.paginate("ecr", "DescribeRepositories", "repositories")
        names = [named(repo, "repositoryName", "ecr", "DescribeRepositories") for repo in repositories]
        scanning = _scanning(ctx, names)
        ctx.each(repositories, lambda repo: self._repository(ctx, repo, scanning))

    def _repository(self, ctx: Ctx, repo: dict[str, Any], scanning: dict[str, Any]) -> None:
        name = repo["repositoryName"]
        arn = repo.get("repositoryArn") or ctx.arn("ecr", f"repository/{name}")
        reads = ctx.reads("ecr")
        scan = scanning.get(name, f"ecr:BatchGetRepositoryScanningConfiguration did not return {name}")
        if isinstance(scan, str):  # not known, and why
            reads.reasons.append(scan)
            scan = UNKNOWN
        policy = reads.get("GetRepositoryPolicy", lambda r: reads.member(r, "policyText", "GetRepositoryPolicy"),
                           repositoryName=name, absent=("RepositoryPolicyNotFoundException",), default=None)
        ctx.emit("aws_ecr_repository", arn, {
            "name": name, "arn": arn, "id": name,
            "registry_id": repo.get("registryId"),
            "repository_url": repo.get("repositoryUri"),
            "image_tag_mutability": reads.member(repo, "imageTagMutability", "DescribeRepositories"),
            "image_scanning_configuration": [{"scan_on_push": scan}],
            "encryption_configuration": self._encryption(ctx, reads, repo),
            "policy": policy,
        }, reads)

    @staticmethod
    def _encryption(ctx: Ctx, reads: Reads, repo: dict[str, Any]) -> Any:
        config = reads.member(repo, "encryptionConfiguration", "DescribeRepositories")
        if config is UNKNOWN:
            return UNKNOWN
        return [{"encryption_type": reads.member(config, "encryptionType", "DescribeRepositories"),
                 "kms_key": managed_key_as_alias(ctx, reads, config.get("kmsKey"), "ecr")}]


def _scanning_rules(rules: Any) -> list[dict[str, Any]]:
    """Registry scanning rules as the provider's ``rule`` blocks."""
    return [{"scan_frequency": rule.get("scanFrequency"),
             "repository_filter": [{"filter": f.get("filter"), "filter_type": f.get("filterType")}
                                   for f in rule.get("repositoryFilters") or [] if isinstance(f, dict)]}
            for rule in rules or [] if isinstance(rule, dict)]


def _registry_id(ctx: Ctx, response: Any) -> str:
    """The registry a registry-level answer is about: the account's own, unless AWS says another."""
    return (response.get("registryId") if isinstance(response, dict) else None) or ctx.account


class EcrRegistryScanning(Collector):
    """The registry's scanning configuration: every region has one (BASIC with no rules until set)."""

    types = ("aws_ecr_registry_scanning_configuration",)
    service = "ecr"
    operations = (("ecr", "GetRegistryScanningConfiguration"),)

    def collect(self, ctx: Ctx) -> None:
        reads = ctx.reads("ecr")
        response = reads.get("GetRegistryScanningConfiguration", lambda r: r)
        config = UNKNOWN if response is UNKNOWN else reads.member(
            response, "scanningConfiguration", "GetRegistryScanningConfiguration")
        registry = _registry_id(ctx, response)
        ctx.emit("aws_ecr_registry_scanning_configuration", ctx.arn("ecr", "registry-scanning-configuration"), {
            "id": registry, "registry_id": registry,
            "scan_type": UNKNOWN if config is UNKNOWN else config.get("scanType"),
            "rule": UNKNOWN if config is UNKNOWN else _scanning_rules(config.get("rules")),
        }, reads)


class EcrRegistryPolicy(Collector):
    """The registry's policy (GetRegistryPolicy), when it has one."""

    types = ("aws_ecr_registry_policy",)
    service = "ecr"
    operations = (("ecr", "GetRegistryPolicy"),)

    def collect(self, ctx: Ctx) -> None:
        reads = ctx.reads("ecr")
        # No policy at all is RegistryPolicyNotFoundException: nothing granted, no resource.
        response = reads.get("GetRegistryPolicy", lambda r: r, absent=("RegistryPolicyNotFoundException",))
        if response is None:
            return
        policy = UNKNOWN if response is UNKNOWN else reads.member(response, "policyText", "GetRegistryPolicy")
        registry = _registry_id(ctx, response)
        ctx.emit("aws_ecr_registry_policy", ctx.arn("ecr", "registry-policy"),
                 {"id": registry, "registry_id": registry, "policy": policy}, reads)
