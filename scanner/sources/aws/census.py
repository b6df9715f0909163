"""What exists in an account, by AWS Config's count, so that a live scan names the types present that
it did not read instead of never seeing them.

One call per (account, region): config:GetDiscoveredResourceCounts, declared in
`session.SESSION_CALLS` — it reads no resource, only a count per type, so it is no collector, and it
runs whichever rules are selected.  A denied or failed call is a `Census` with its `problem`; an
empty answer (AWS Config records nothing there) is a census with no counts: `coverage` says, for
both, that what was not read there is not known — never silence, and never a failed scan.
"""
from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, PaginationError

from ...model import Census
from .collector import MAX_PAGES, CallFailed, error_reason, named
from .session import AccountSession

SERVICE, OPERATION = "config", "GetDiscoveredResourceCounts"


def take_census(account: AccountSession, region: str, read: frozenset[str]) -> Census:
    """AWS Config's count of what exists in `account`'s `region`, beside the types the scan read."""
    try:
        counts = discovered_counts(account.client(SERVICE, region))
    except CallFailed as exc:
        return Census(account.account, region, {}, read, problem=exc.reason)
    except (BotoCoreError, ClientError) as exc:
        return Census(account.account, region, {}, read, problem=error_reason(exc, SERVICE, OPERATION))
    return Census(account.account, region, counts, read)


def discovered_counts(client: Any) -> dict[str, int]:
    """Resource type → how many AWS Config has discovered (those with at least one), across every
    page: the operation has no botocore paginator, so its ``nextToken`` is followed here.  An item
    without its type or count cannot be read as "none": it fails the census (`IncompleteItem`)."""
    counts: dict[str, int] = {}
    params: dict[str, Any] = {}
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        page = client.get_discovered_resource_counts(**params)
        for item in page.get("resourceCounts") or []:
            name, count = named(item, "resourceType", SERVICE, OPERATION), named(item, "count", SERVICE, OPERATION)
            if count > 0:
                counts[name] = counts.get(name, 0) + count
        token = page.get("nextToken")
        if not token:
            return counts
        if token in seen:
            raise PaginationError(message=f"{OPERATION} returned the same nextToken twice")
        seen.add(token)
        params = {"nextToken": token}
    raise PaginationError(message=f"{OPERATION} still had more after {MAX_PAGES} pages")
