"""A local stack restored from data saved before an index was added gets the index, as a
deploy's UpdateTable would give it in AWS."""

from __future__ import annotations

import copy
from typing import Any

import boto3
from moto import mock_aws

from tessera_local import provision
from tessera_local.template import Template


def test_a_restored_table_gets_the_indexes_the_template_added_since() -> None:
    template = Template.load(parameters={"PortalBaseUrl": "http://127.0.0.1:1"})
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        # Given the tables as an older template made them: without the ByUpdated index
        older: Any = copy.deepcopy(template)
        for resource in older.of_type("AWS::DynamoDB::Table").values():
            indexes = resource["Properties"]["GlobalSecondaryIndexes"]
            resource["Properties"]["GlobalSecondaryIndexes"] = [
                i for i in indexes if i["IndexName"] != "ByUpdated"
            ]
        names = provision.create_tables(older, dynamodb)
        # When the stack starts on them with today's template
        created = provision.add_missing_indexes(template, dynamodb)
        # Then the index is there, and nothing else was made twice
        assert created == [f"{names[0]}.ByUpdated"]
        table = dynamodb.describe_table(TableName=names[0])["Table"]
        assert "ByUpdated" in {i["IndexName"] for i in table["GlobalSecondaryIndexes"]}
        assert provision.add_missing_indexes(template, dynamodb) == []


def test_a_restored_stack_gets_the_stream_and_the_buckets_the_template_added_since() -> None:
    template = Template.load(parameters={"PortalBaseUrl": "http://127.0.0.1:1"})
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        s3 = boto3.client("s3", region_name="us-east-1")
        # Given tables without their stream and no search bucket, as an older template made them
        older: Any = copy.deepcopy(template)
        for resource in older.of_type("AWS::DynamoDB::Table").values():
            resource["Properties"].pop("StreamSpecification", None)
        names = provision.create_tables(older, dynamodb)
        s3.create_bucket(Bucket=template.ref("PortalBucket"))
        # When the stack starts on them with today's template
        enabled = provision.add_missing_streams(template, dynamodb)
        created = provision.add_missing_buckets(template, s3)
        # Then the tickets table streams, the search bucket exists, and a second start adds none
        assert enabled == [template.ref("TicketsTable")]
        assert names[0] in enabled or template.ref("TicketsTable") in names
        stream = dynamodb.describe_table(TableName=enabled[0])["Table"]["StreamSpecification"]
        assert stream == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        assert template.ref("SearchIndexBucket") in created
        assert template.ref("PortalBucket") not in created
        assert provision.add_missing_streams(template, dynamodb) == []
        assert provision.add_missing_buckets(template, s3) == []
