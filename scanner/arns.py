"""Amazon Resource Names: the account and region a resource names in its own ARN.

Plans, states and stacks often say nothing about the account they deploy to; the ARNs of the
resources they already know (a state's, a stack export's) and of the roles their providers assume
do.  Global services leave the region empty, S3 the account too: those give None.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

_ARN = re.compile(r"^arn:aws[a-z-]*:(?P<service>[a-z0-9-]*):(?P<region>[a-z0-9-]*):(?P<account>\d{12})?:")


def arn_part(arn: Any, part: str) -> str | None:
    """``region`` or ``account`` of an ARN; None when it has none or is not an ARN."""
    match = _ARN.match(arn) if isinstance(arn, str) else None
    return (match.group(part) or None) if match else None


def own_arn_part(attributes: Mapping[str, Any], part: str) -> str | None:
    """``region`` or ``account`` in a resource's own ``arn`` attribute."""
    return arn_part(attributes.get("arn"), part)
