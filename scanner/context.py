"""What a condition may know about the resource it is evaluated on, beyond its attributes.

A few domain functions (``own_account()``, ``resource_type()``) answer about the resource itself
rather than about a value in its attribute tree.  The engine builds one `EvalContext` per resource
and hands it to the compiled condition, which passes it down to those functions: an explicit
argument, so evaluation depends on nothing but its inputs (no global or context-local state to set
and reset, safe under threads and generators alike).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EvalContext:
    """The resource facts context functions read; None where the source does not say."""

    account: str | None = None
    resource_type: str | None = None


#: For evaluations that are not about a resource (folding a child's attributes into its parent):
#: context functions answer as for a resource whose account and type are not known.
NO_CONTEXT = EvalContext()
