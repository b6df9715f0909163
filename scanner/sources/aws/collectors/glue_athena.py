"""The Glue Data Catalog's encryption settings (one per account and region), Glue security
configurations and the jobs, crawlers and development endpoints that run under them (how ETL
output, logs and bookmarks are encrypted), and Athena workgroups (where query results — copies of
the data queried — are written, and how).

Athena databases have no collector: no API describes one (it is a Glue catalog database, and its
encryption is a setting of the query that created it)."""
from __future__ import annotations

from typing import Any, ClassVar

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


#: A security configuration's three encryption settings: (Terraform block, AWS member, mode member).
_GLUE_ENCRYPTION = (("s3_encryption", "S3Encryption", "S3EncryptionMode"),
                    ("cloudwatch_encryption", "CloudWatchEncryption", "CloudWatchEncryptionMode"),
                    ("job_bookmarks_encryption", "JobBookmarksEncryption", "JobBookmarksEncryptionMode"))


class GlueSecurityConfigurations(Collector):
    types = ("aws_glue_security_configuration",)
    service = "glue"
    operations = (("glue", "GetSecurityConfigurations"),)

    def collect(self, ctx: Ctx) -> None:
        op = "GetSecurityConfigurations"
        for config in ctx.paginate("glue", op, "SecurityConfigurations"):
            name = named(config, "Name", "glue", op)
            reads = Reads(None, "glue")
            encryption = config.get("EncryptionConfiguration") or {}
            blocks: dict[str, Any] = {}
            for block, member, mode in _GLUE_ENCRYPTION:
                # S3Encryption is a list in the API, the others one object; a setting AWS left out
                # is not "disabled": its mode is UNKNOWN.
                settings = encryption.get(member)
                setting = settings[0] if isinstance(settings, list) and settings else settings
                setting = setting if isinstance(setting, dict) else {}
                blocks[block] = [{f"{block}_mode": reads.member(setting, mode, op),
                                  "kms_key_arn": setting.get("KmsKeyArn")}]
            ctx.emit("aws_glue_security_configuration", ctx.arn("glue", f"securityConfiguration/{name}"), {
                "id": name, "name": name, "encryption_configuration": [blocks],
            }, reads)


class _GlueComponent(Collector):
    """A Glue component that runs code over the data — a job, a crawler, a development endpoint —
    and the security configuration it runs under: one listing, no per-item call."""

    service = "glue"
    #: (listing, its items' key, the name member, the security configuration member, ARN prefix)
    listing: ClassVar[tuple[str, str, str, str, str]]

    def collect(self, ctx: Ctx) -> None:
        operation, key, name_key, config_key, prefix = self.listing
        for item in ctx.paginate("glue", operation, key):
            name = named(item, name_key, "glue", operation)
            arn = ctx.arn("glue", f"{prefix}/{name}")
            ctx.emit(self.types[0], arn, {
                "id": name, "name": name, "arn": arn,
                # Absent when it names none: the API's way of saying "no security configuration".
                "security_configuration": item.get(config_key),
                **self.attributes(item),
            })

    def attributes(self, item: dict[str, Any]) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError


class GlueJobs(_GlueComponent):
    types = ("aws_glue_job",)
    operations = (("glue", "GetJobs"),)
    listing = ("GetJobs", "Jobs", "Name", "SecurityConfiguration", "job")

    def attributes(self, item: dict[str, Any]) -> dict[str, Any]:
        return {"role_arn": item.get("Role"), "glue_version": item.get("GlueVersion")}


class GlueCrawlers(_GlueComponent):
    types = ("aws_glue_crawler",)
    operations = (("glue", "GetCrawlers"),)
    listing = ("GetCrawlers", "Crawlers", "Name", "CrawlerSecurityConfiguration", "crawler")

    def attributes(self, item: dict[str, Any]) -> dict[str, Any]:
        return {"role": item.get("Role"), "database_name": item.get("DatabaseName")}


class GlueDevEndpoints(_GlueComponent):
    types = ("aws_glue_dev_endpoint",)
    operations = (("glue", "GetDevEndpoints"),)
    listing = ("GetDevEndpoints", "DevEndpoints", "EndpointName", "SecurityConfiguration", "devEndpoint")

    def attributes(self, item: dict[str, Any]) -> dict[str, Any]:
        return {"role_arn": item.get("RoleArn"), "subnet_id": item.get("SubnetId")}
