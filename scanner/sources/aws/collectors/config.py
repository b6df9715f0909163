"""AWS Config configuration recorders, with their recording status folded in (``recorder_status``,
as policies/types.yaml's fold shapes the provider's separate recorder-status resource)."""
from __future__ import annotations

from typing import Any

from ....model import UNKNOWN
from ..collector import Collector, Ctx, Reads


def _recording_group(reads: Reads, group: Any) -> Any:
    """Terraform's ``recording_group``.  AWS always states what a recorder records: a group, or its
    ``allSupported``, left out is not known (not "everything")."""
    if group is UNKNOWN:
        return UNKNOWN
    exclusion = group.get("exclusionByResourceTypes") or {}
    strategy = group.get("recordingStrategy") or {}
    return [{
        "all_supported": reads.member(group, "allSupported", "DescribeConfigurationRecorders"),
        "include_global_resource_types": bool(group.get("includeGlobalResourceTypes")),
        "resource_types": group.get("resourceTypes") or [],
        "exclusion_by_resource_types": [{"resource_types": exclusion.get("resourceTypes") or []}]
        if exclusion.get("resourceTypes") else [],
        "recording_strategy": [{"use_only": strategy["useOnly"]}] if strategy.get("useOnly") else [],
    }]


class Recorders(Collector):
    types = ("aws_config_configuration_recorder",)
    service = "config"
    operations = (("config", "DescribeConfigurationRecorders"), ("config", "DescribeConfigurationRecorderStatus"))

    def collect(self, ctx: Ctx) -> None:
        recorders = ctx.paginate("config", "DescribeConfigurationRecorders", "ConfigurationRecorders")
        if not recorders:
            return
        reads = ctx.reads("config")
        statuses = reads.get("DescribeConfigurationRecorderStatus",
                             lambda r: {s.get("name"): s for s in r.get("ConfigurationRecordersStatus", [])})
        for recorder in recorders:
            name = recorder.get("name")
            status = statuses if statuses is UNKNOWN else statuses.get(name)
            arn = recorder.get("arn") or ctx.arn("config", f"configuration-recorder/{name}")
            mine = ctx.reads("config")
            mine.reasons.extend(reads.reasons)
            ctx.emit("aws_config_configuration_recorder", arn, {
                "name": name, "id": name, "arn": arn, "role_arn": recorder.get("roleARN"),
                "recording_group": _recording_group(
                    mine, mine.member(recorder, "recordingGroup", "DescribeConfigurationRecorders")),
                "recorder_status": UNKNOWN if status is UNKNOWN else (
                    [{"is_enabled": bool(status.get("recording")), "last_status": status.get("lastStatus")}]
                    if status else []),
            }, mine)
