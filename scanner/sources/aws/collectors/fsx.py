"""Amazon FSx file systems: Windows File Server, Lustre, NetApp ONTAP and OpenZFS, one Terraform
type each, with their KMS key and automatic backup retention.

DescribeFileSystems lists all four kinds; each carries its settings in its own configuration
member.  The key is shown as Terraform shows it: empty when it is the AWS managed ``alias/aws/fsx``
key FSx uses when none was chosen (`kms.customer_key`).  Scratch Lustre file systems have neither
a KMS key nor backups (their rules do not apply to them).  ONTAP's ``FsxAdminPassword`` is never
read into an attribute.
"""
from __future__ import annotations

from typing import Any

from ..collector import Collector, Ctx, named, tags
from .kms import customer_key

#: FileSystemType → (Terraform type, the response member holding that kind's settings).
KINDS = {
    "WINDOWS": ("aws_fsx_windows_file_system", "WindowsConfiguration"),
    "LUSTRE": ("aws_fsx_lustre_file_system", "LustreConfiguration"),
    "ONTAP": ("aws_fsx_ontap_file_system", "OntapConfiguration"),
    "OPENZFS": ("aws_fsx_openzfs_file_system", "OpenZFSConfiguration"),
}


class FsxFileSystems(Collector):
    types = tuple(rtype for rtype, _ in KINDS.values())
    service = "fsx"
    operations = (("fsx", "DescribeFileSystems"), ("kms", "DescribeKey"))

    def collect(self, ctx: Ctx) -> None:
        ctx.each(ctx.paginate("fsx", "DescribeFileSystems", "FileSystems"), lambda fs: self._file_system(ctx, fs))

    @staticmethod
    def _file_system(ctx: Ctx, fs: dict[str, Any]) -> None:
        fs_id = named(fs, "FileSystemId", "fsx", "DescribeFileSystems")
        kind = KINDS.get(fs.get("FileSystemType"))
        if kind is None:
            return  # a kind of file system newer than this collector: no Terraform type of ours
        rtype, member = kind
        settings = fs.get(member) or {}
        reads = ctx.reads("fsx")
        arn = fs.get("ResourceARN") or ctx.arn("fsx", f"file-system/{fs_id}")
        ctx.emit(rtype, arn, {
            "id": fs_id,
            "arn": arn,
            "storage_capacity": fs.get("StorageCapacity"),
            "storage_type": fs.get("StorageType"),
            "subnet_ids": fs.get("SubnetIds") or [],
            "vpc_id": fs.get("VpcId"),
            "kms_key_id": customer_key(ctx, fs.get("KmsKeyId"), "alias/aws/fsx", reads.reasons),
            "deployment_type": settings.get("DeploymentType"),
            "automatic_backup_retention_days": settings.get("AutomaticBackupRetentionDays"),
            "daily_automatic_backup_start_time": settings.get("DailyAutomaticBackupStartTime"),
            "tags": tags(fs.get("Tags")),
        }, reads)
