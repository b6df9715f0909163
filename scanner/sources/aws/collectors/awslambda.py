"""Lambda functions (from ListFunctions — never GetFunction, which hands out the code), the
permissions in each function's resource policy (GetPolicy), one resource per statement, and each
function's URLs (ListFunctionUrlConfigs).

Environment variables: ListFunctions returns their values; they are not copied into any resource
(no rule reads them), so they never reach a rule, a report or a log.
"""
from __future__ import annotations

import json
from typing import Any

from ....model import UNKNOWN
from ..collector import Collector, Ctx, named

_ROOT_SUFFIX = ":root"


def _functions(ctx: Ctx) -> list[dict[str, Any]]:
    return ctx.paginate("lambda", "ListFunctions", "Functions")


class Functions(Collector):
    types = ("aws_lambda_function",)
    service = "lambda"
    operations = (("lambda", "ListFunctions"),)

    def collect(self, ctx: Ctx) -> None:
        for fn in _functions(ctx):
            arn = named(fn, "FunctionArn", "lambda", "ListFunctions")
            vpc = fn.get("VpcConfig") or {}
            tracing = fn.get("TracingConfig") or {}
            dlq = fn.get("DeadLetterConfig") or {}
            ctx.emit("aws_lambda_function", arn, {
                "function_name": fn.get("FunctionName"), "arn": arn, "id": fn.get("FunctionName"),
                "runtime": fn.get("Runtime"),
                # ListFunctions omits PackageType for zip functions in some responses; Zip is the default.
                "package_type": fn.get("PackageType") or "Zip",
                "handler": fn.get("Handler"), "role": fn.get("Role"),
                "architectures": fn.get("Architectures") or ["x86_64"],
                "kms_key_arn": fn.get("KMSKeyArn"),
                "timeout": fn.get("Timeout"), "memory_size": fn.get("MemorySize"),
                "layers": [layer["Arn"] for layer in fn.get("Layers", []) if layer.get("Arn")],
                "tracing_config": [{"mode": tracing["Mode"]}] if tracing.get("Mode") else [],
                "dead_letter_config": [{"target_arn": dlq["TargetArn"]}] if dlq.get("TargetArn") else [],
                "vpc_config": [{
                    "subnet_ids": vpc.get("SubnetIds", []), "security_group_ids": vpc.get("SecurityGroupIds", []),
                    "vpc_id": vpc.get("VpcId"),
                }] if vpc.get("SubnetIds") else [],
                # `environment` deliberately absent: its values are secrets as often as not.
            })


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _conditions(statement: dict[str, Any]) -> dict[str, Any]:
    """Condition key (lower-cased) → its first value, across every operator."""
    found: dict[str, Any] = {}
    condition = statement.get("Condition")
    if isinstance(condition, dict):
        for block in condition.values():
            if isinstance(block, dict):
                for key, value in block.items():
                    found.setdefault(key.lower(), _first(value))
    return found


def _principal(principal: Any) -> Any:
    """The provider's ``principal``: a service, an account id, an ARN, or ``*``."""
    if isinstance(principal, str):
        return principal
    if not isinstance(principal, dict):
        return None
    values = [str(v) for key in ("AWS", "Service", "Federated", "CanonicalUser")
              for v in (principal.get(key) if isinstance(principal.get(key), list) else [principal.get(key)])
              if v is not None]
    if "*" in values:
        return "*"  # a wildcard anywhere makes the statement open, whatever else it names
    if not values:
        return None
    value = values[0]
    if value.startswith("arn:") and value.endswith(_ROOT_SUFFIX):
        return value.split(":")[4]  # arn:aws:iam::123456789012:root → the account id
    return value


def _permissions(policy_text: Any) -> Any:
    if policy_text is UNKNOWN:
        return UNKNOWN
    try:
        document = json.loads(policy_text) if isinstance(policy_text, str) else {}
    except ValueError:
        document = {}
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    if isinstance(statements, dict):
        statements = [statements]
    permissions = []
    for index, st in enumerate(s for s in statements if isinstance(s, dict)):
        if st.get("Effect", "Allow") != "Allow":
            continue
        keys = _conditions(st)
        action = st.get("Action")
        permissions.append({
            "statement_id": st.get("Sid") or f"statement-{index}",
            "action": action if isinstance(action, str) else _first(action),
            "principal": _principal(st.get("Principal")),
            "source_account": keys.get("aws:sourceaccount"),
            "source_arn": keys.get("aws:sourcearn"),
            "principal_org_id": keys.get("aws:principalorgid"),
            "event_source_token": keys.get("lambda:eventsourcetoken"),
            "function_url_auth_type": keys.get("lambda:functionurlauthtype"),
        })
    return permissions


class Permissions(Collector):
    types = ("aws_lambda_permission",)
    service = "lambda"
    operations = (("lambda", "ListFunctions"), ("lambda", "GetPolicy"))

    def collect(self, ctx: Ctx) -> None:
        ctx.each(_functions(ctx), lambda fn: self._function(ctx, fn))

    def _function(self, ctx: Ctx, fn: dict[str, Any]) -> None:
        arn, name = named(fn, "FunctionArn", "lambda", "ListFunctions"), fn.get("FunctionName")
        reads = ctx.reads("lambda")
        # No resource policy at all is ResourceNotFoundException: no permissions.  An answer
        # without the policy is not "none": the permissions are not known.
        found = reads.get("GetPolicy", lambda r: _permissions(reads.member(r, "Policy", "GetPolicy")),
                          FunctionName=arn, absent=("ResourceNotFoundException",), default=[])
        if found is UNKNOWN:
            # The permissions could not be read: one resource standing for all of them, UNKNOWN.
            ctx.emit("aws_lambda_permission", f"{arn}/permissions", {
                "function_name": name, "statement_id": UNKNOWN, "action": UNKNOWN, "principal": UNKNOWN,
                "source_account": UNKNOWN, "source_arn": UNKNOWN, "principal_org_id": UNKNOWN,
            }, reads)
            return
        for permission in found:
            ctx.emit("aws_lambda_permission", f"{arn}/permission/{permission['statement_id']}",
                     {"function_name": name, **permission})


def _qualifier(function_arn: str) -> str | None:
    """The alias of a URL's function ARN (``...:function:name:alias``); None for the unqualified function."""
    parts = function_arn.split(":")
    return parts[7] if len(parts) > 7 else None


class FunctionUrls(Collector):
    """Function URLs (ListFunctionUrlConfigs, per function: a URL may belong to the function or to
    any of its aliases)."""

    types = ("aws_lambda_function_url",)
    service = "lambda"
    operations = (("lambda", "ListFunctions"), ("lambda", "ListFunctionUrlConfigs"))

    def collect(self, ctx: Ctx) -> None:
        ctx.each(_functions(ctx), lambda fn: self._function(ctx, fn))

    def _function(self, ctx: Ctx, fn: dict[str, Any]) -> None:
        arn, name = named(fn, "FunctionArn", "lambda", "ListFunctions"), fn.get("FunctionName")
        reads = ctx.reads("lambda")
        configs = reads.paginate("ListFunctionUrlConfigs", "FunctionUrlConfigs", FunctionName=arn)
        if configs is UNKNOWN:
            # Whether the function has URLs could not be read: one resource standing for them, UNKNOWN.
            ctx.emit("aws_lambda_function_url", f"{arn}/urls",
                     {"function_name": name, "authorization_type": UNKNOWN}, reads)
            return
        for config in configs:
            url_function = config.get("FunctionArn") or arn
            url_reads = ctx.reads("lambda")
            ctx.emit("aws_lambda_function_url", f"{url_function}/url", {
                "function_name": name, "function_arn": url_function, "qualifier": _qualifier(url_function),
                "function_url": config.get("FunctionUrl"),
                "authorization_type": url_reads.member(config, "AuthType", "ListFunctionUrlConfigs"),
                "invoke_mode": config.get("InvokeMode"),
            }, url_reads)
