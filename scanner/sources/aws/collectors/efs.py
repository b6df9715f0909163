"""EFS file systems (encryption at rest is chosen at creation and listed with the file system)."""
from __future__ import annotations

from ..collector import Collector, Ctx, named, tags


class FileSystems(Collector):
    types = ("aws_efs_file_system",)
    service = "efs"
    operations = (("efs", "DescribeFileSystems"),)

    def collect(self, ctx: Ctx) -> None:
        for fs in ctx.paginate("efs", "DescribeFileSystems", "FileSystems"):
            fs_id = named(fs, "FileSystemId", "efs", "DescribeFileSystems")
            arn = fs.get("FileSystemArn") or ctx.arn("elasticfilesystem", f"file-system/{fs_id}")
            ctx.emit("aws_efs_file_system", arn, {
                "id": fs_id,
                "arn": arn,
                "creation_token": fs.get("CreationToken"),
                "encrypted": fs.get("Encrypted"),
                "kms_key_id": fs.get("KmsKeyId"),
                "performance_mode": fs.get("PerformanceMode"),
                "throughput_mode": fs.get("ThroughputMode"),
                "availability_zone_name": fs.get("AvailabilityZoneName"),
                "tags": tags(fs.get("Tags")),
            })
