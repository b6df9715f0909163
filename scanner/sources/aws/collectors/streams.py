"""Kinesis Data Streams, Amazon Data Firehose delivery streams and Kinesis video streams: how each
encrypts the records (or media) it holds.  Only configuration is read (DescribeStreamSummary,
DescribeDeliveryStream, kinesisvideo ListStreams), never a record (kinesis:GetRecords is refused by
the session's guard) nor a fragment of video."""
from __future__ import annotations

from typing import Any

from ..collector import MAX_PAGES, Collector, Ctx, Reads, named
from .kms import customer_key


class KinesisStreams(Collector):
    types = ("aws_kinesis_stream",)
    service = "kinesis"
    operations = (("kinesis", "ListStreams"), ("kinesis", "DescribeStreamSummary"))

    def collect(self, ctx: Ctx) -> None:
        names = [n for n in ctx.paginate("kinesis", "ListStreams", "StreamNames") if n]
        ctx.each(names, lambda name: self._stream(ctx, name))

    def _stream(self, ctx: Ctx, name: str) -> None:
        reads = ctx.reads("kinesis")
        summary = reads.get("DescribeStreamSummary", lambda r: r["StreamDescriptionSummary"], StreamName=name)
        arn = ctx.arn("kinesis", f"stream/{name}")
        if isinstance(summary, dict):
            arn = summary.get("StreamARN") or arn
            encryption = reads.member(summary, "EncryptionType", "DescribeStreamSummary")
            key, retention = summary.get("KeyId"), summary.get("RetentionPeriodHours")
        else:
            encryption = key = retention = summary
        ctx.emit("aws_kinesis_stream", arn, {
            "id": arn, "arn": arn, "name": name,
            "encryption_type": encryption, "kms_key_id": key, "retention_period": retention,
        }, reads)


def _encryption(description: dict[str, Any], reads: Reads) -> Any:
    """``DeliveryStreamEncryptionConfiguration`` as the provider's ``server_side_encryption`` block:
    enabled only once AWS says ENABLED (ENABLING is not encrypted yet)."""
    config = reads.member(description, "DeliveryStreamEncryptionConfiguration", "DescribeDeliveryStream")
    if not isinstance(config, dict):
        return config
    status = reads.member(config, "Status", "DescribeDeliveryStream")
    return [{"enabled": status if not isinstance(status, str) else status == "ENABLED",
             "key_type": config.get("KeyType"), "key_arn": config.get("KeyARN")}]


def _source(description: dict[str, Any], kind: str, member: str, fields: dict[str, str]) -> list[dict[str, Any]]:
    """The provider's ``kinesis_source_configuration`` / ``msk_source_configuration`` block, present
    when the stream's type says it reads from that source."""
    if description.get("DeliveryStreamType") != kind:
        return []
    source = (description.get("Source") or {}).get(member) or {}
    return [{tf: source.get(aws) for tf, aws in fields.items()}]


class DeliveryStreams(Collector):
    types = ("aws_kinesis_firehose_delivery_stream",)
    service = "firehose"
    operations = (("firehose", "ListDeliveryStreams"), ("firehose", "DescribeDeliveryStream"))

    def collect(self, ctx: Ctx) -> None:
        ctx.each(self._names(ctx), lambda name: self._stream(ctx, name))

    @staticmethod
    def _names(ctx: Ctx) -> list[str]:
        """Every delivery stream: ListDeliveryStreams has no paginator, only "start after this name"."""
        names: list[str] = []
        params: dict[str, Any] = {"Limit": 10000}
        for _ in range(MAX_PAGES):
            page = ctx.call("firehose", "ListDeliveryStreams", **params)
            batch = [n for n in page.get("DeliveryStreamNames") or [] if n]
            names.extend(batch)
            if not page.get("HasMoreDeliveryStreams") or not batch:
                return names
            if params.get("ExclusiveStartDeliveryStreamName") == batch[-1]:
                raise ValueError("firehose:ListDeliveryStreams did not advance past its last name")
            params["ExclusiveStartDeliveryStreamName"] = batch[-1]
        raise ValueError(f"firehose:ListDeliveryStreams still had more after {MAX_PAGES} pages")

    def _stream(self, ctx: Ctx, name: str) -> None:
        reads = ctx.reads("firehose")
        description = reads.get("DescribeDeliveryStream", lambda r: r["DeliveryStreamDescription"],
                                DeliveryStreamName=name)
        arn = ctx.arn("firehose", f"deliverystream/{name}")
        if isinstance(description, dict):
            arn = description.get("DeliveryStreamARN") or arn
            attributes = {
                "server_side_encryption": _encryption(description, reads),
                "kinesis_source_configuration": _source(description, "KinesisStreamAsSource",
                                                        "KinesisStreamSourceDescription",
                                                        {"kinesis_stream_arn": "KinesisStreamARN", "role_arn": "RoleARN"}),
                "msk_source_configuration": _source(description, "MSKAsSource", "MSKSourceDescription",
                                                    {"msk_cluster_arn": "MSKClusterARN", "topic_name": "TopicName"}),
            }
        else:
            attributes = {key: description for key in
                          ("server_side_encryption", "kinesis_source_configuration", "msk_source_configuration")}
        ctx.emit("aws_kinesis_firehose_delivery_stream", arn, {"id": arn, "arn": arn, "name": name, **attributes},
                 reads)


class KinesisVideoStreams(Collector):
    """ListStreams returns each stream whole.  The key is shown as Terraform shows a customer
    managed one: "" when it is the AWS managed ``alias/aws/kinesisvideo`` every stream gets when
    none was chosen (`kms.customer_key`)."""

    types = ("aws_kinesis_video_stream",)
    service = "kinesisvideo"
    operations = (("kinesisvideo", "ListStreams"), ("kms", "DescribeKey"))

    def collect(self, ctx: Ctx) -> None:
        ctx.each(ctx.paginate("kinesisvideo", "ListStreams", "StreamInfoList"), lambda s: self._stream(ctx, s))

    @staticmethod
    def _stream(ctx: Ctx, stream: dict[str, Any]) -> None:
        name = named(stream, "StreamName", "kinesisvideo", "ListStreams")
        arn = stream.get("StreamARN") or ctx.arn("kinesisvideo", f"stream/{name}")
        reads = Reads(None, "kinesisvideo")
        ctx.emit("aws_kinesis_video_stream", arn, {
            "id": arn, "arn": arn, "name": name,
            "kms_key_id": customer_key(ctx, stream.get("KmsKeyId"), "alias/aws/kinesisvideo", reads.reasons),
            "data_retention_in_hours": stream.get("DataRetentionInHours"),
            "media_type": stream.get("MediaType"),
        }, reads)
