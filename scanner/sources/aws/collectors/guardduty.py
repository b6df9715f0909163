"""GuardDuty detectors, per region."""
from __future__ import annotations

from ....model import UNKNOWN
from ..collector import Collector, Ctx


class Detectors(Collector):
    types = ("aws_guardduty_detector",)
    service = "guardduty"
    operations = (("guardduty", "ListDetectors"), ("guardduty", "GetDetector"))

    def collect(self, ctx: Ctx) -> None:
        for detector_id in ctx.paginate("guardduty", "ListDetectors", "DetectorIds"):
            reads = ctx.reads("guardduty")
            status = reads.get("GetDetector", lambda r: r.get("Status"), DetectorId=detector_id)
            ctx.emit("aws_guardduty_detector", ctx.arn("guardduty", f"detector/{detector_id}"), {
                "id": detector_id, "status": status,
                "enable": status == "ENABLED" if isinstance(status, str) else UNKNOWN,
            }, reads)
