"""Live AWS accounts, read-only, through boto3: the collectors the selected rules need, over every
account and region the target names.  boto3 is imported only when a live scan reads (`live`),
so registering this source costs the plan scans nothing."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from ...source import Reading, Source

if TYPE_CHECKING:
    from ...catalog import Selection
    from .live import Target
    from .progress import OnProgress
    from .session import Tuning


class LiveAws(Source):
    name = "aws"
    command = "aws"
    title = "a live AWS account"
    summary = "Scan live AWS accounts, read-only, in every region."
    offline = False  # boto3's clients leave cyclic garbage behind: keep the collector on

    def read(self, inputs: Sequence[str], selection: "Selection", *, target: "Target",
             tuning: "Tuning | None" = None, on_progress: "OnProgress | None" = None,
             broker: str | None = None, vendor: str | None = None, journal: Any = None, **_: Any) -> Reading:
        """Inventories of every targeted account, with the API calls made per service; with a
        `broker`, read by the workers behind it (and with a `journal`, resumable from the store)."""
        from .live import scan_live  # boto3: ~0.3 s to import, needed only here

        types = {t for rule in selection.rules for t in rule.resource_types}
        inventories, guard = scan_live(target, types, source=self.name, tuning=tuning, on_progress=on_progress,
                                       broker=broker, vendor=vendor, journal=journal)
        calls: dict[str, int] = {}
        for (service, _op), count in sorted(guard.calls.items()):
            calls[service] = calls.get(service, 0) + count
        return Reading(inventories, extra={"api_calls": calls})
