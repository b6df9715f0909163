"""The Glue Data Catalog's encryption settings (one per account and region) and Athena workgroups
(where query results — copies of the data queried — are written, and how)."""
from __future__ import annotations

from typing import Any

from ..collector import MAX_PAGES, Collector, Ctx, Reads, named


class CatalogEncryption(Collector):
    types = ("aws_glue_data_catalog_encryption_settings",)
    service = "glue"
    operations = (("glue", "GetDataCatalogEncryptionSettings"),)

    def collect(self, ctx: Ctx) -> None:
        # The region's one catalog: a failed read is a gap, never "not encrypted".
        settings = ctx.call("glue", "GetDataCatalogEncryptionSettings").get("DataCatalogEncryptionSettings") or {}
        reads = Reads(None, "glue")
        at_rest = settings.get("EncryptionAtRest") or {}
        passwords = settings.get("ConnectionPasswordEncryption") or {}
        op = "GetDataCatalogEncryptionSettings"
        ctx.emit("aws_glue_data_catalog_encryption_settings", ctx.arn("glue", "catalog"), {
            "id": ctx.account, "catalog_id": ctx.account,
            "data_catalog_encryption_settings": [{
                "encryption_at_rest": [{
                    "catalog_encryption_mode": reads.member(at_rest, "CatalogEncryptionMode", op),
                    "sse_aws_kms_key_id": at_rest.get("SseAwsKmsKeyId"),
                    "catalog_encryption_service_role": at_rest.get("CatalogEncryptionServiceRole"),
                }],
                "connection_password_encryption": [{
                    "return_connection_password_encrypted":
                        reads.member(passwords, "ReturnConnectionPasswordEncrypted", op),
                    "aws_kms_key_id": passwords.get("AwsKmsKeyId"),
                }],
            }],
        }, reads)


def _result_configuration(config: dict[str, Any]) -> list[dict[str, Any]]:
    result = config.get("ResultConfiguration") or {}
    encryption = result.get("EncryptionConfiguration")
    return [{"output_location": result.get("OutputLocation"),
             "encryption_configuration": [{"encryption_option": encryption.get("EncryptionOption"),
                                           "kms_key_arn": encryption.get("KmsKey")}] if encryption else []}]


class Workgroups(Collector):
    types = ("aws_athena_workgroup",)
    service = "athena"
    operations = (("athena", "ListWorkGroups"), ("athena", "GetWorkGroup"))

    def collect(self, ctx: Ctx) -> None:
        ctx.each(self._names(ctx), lambda name: self._workgroup(ctx, name))

    @staticmethod
    def _names(ctx: Ctx) -> list[str]:
        """Every workgroup: ListWorkGroups pages by NextToken but botocore has no paginator for it."""
        names: list[str] = []
        params: dict[str, Any] = {"MaxResults": 50}
        for _ in range(MAX_PAGES):
            page = ctx.call("athena", "ListWorkGroups", **params)
            names.extend(named(w, "Name", "athena", "ListWorkGroups") for w in page.get("WorkGroups") or [])
            if not page.get("NextToken"):
                return names
            if params.get("NextToken") == page["NextToken"]:
                raise ValueError("athena:ListWorkGroups returned the same NextToken twice")
            params["NextToken"] = page["NextToken"]
        raise ValueError(f"athena:ListWorkGroups still had more after {MAX_PAGES} pages")

    def _workgroup(self, ctx: Ctx, name: str) -> None:
        reads = ctx.reads("athena")
        group = reads.get("GetWorkGroup", lambda r: r["WorkGroup"], WorkGroup=name)
        config = reads.member(group, "Configuration", "GetWorkGroup") if isinstance(group, dict) else group
        configuration = [{
            "enforce_workgroup_configuration": reads.member(config, "EnforceWorkGroupConfiguration", "GetWorkGroup"),
            "publish_cloudwatch_metrics_enabled": config.get("PublishCloudWatchMetricsEnabled"),
            "result_configuration": _result_configuration(config),
        }] if isinstance(config, dict) else config
        arn = ctx.arn("athena", f"workgroup/{name}")
        ctx.emit("aws_athena_workgroup", arn, {
            "id": name, "name": name, "arn": arn,
            "state": group.get("State") if isinstance(group, dict) else group,
            "configuration": configuration,
        }, reads)
