"""The knowledge base's DynamoDB and S3 adapters on moto, and ``tessera kb publish`` writing to
a bucket: articles and feedback on the table template.yaml declares."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest

from tessera.adapters.dynamodb.kb import DynamoArticleStore, DynamoFeedbackStore
from tessera.cli import main
from tessera.errors import Conflict
from tessera.identity.access import Principal, Role
from tessera.kb import articles, feedback
from tessera.kb.source import load
from tests.factories import REPO_KB, kb_draft, write_article

ADMIN = Principal("admin@example.com", frozenset({Role.ADMIN}))


def first_time() -> datetime:
    return datetime(2026, 1, 1, tzinfo=UTC)


def test_the_cli_publishes_to_the_portal_bucket(
    aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a portal bucket
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="portal")
    # When an operator publishes
    code = main(["kb", "publish", "--source", str(REPO_KB), "--bucket", "portal"])
    # Then the pages are in the bucket with their content types
    assert code == 0
    page = s3.get_object(Bucket="portal", Key="kb/fa/reset-password.html")
    assert page["ContentType"] == "text/html; charset=utf-8"
    assert "رمز عبور" in page["Body"].read().decode()
    assert re.search(r"published \d+ articles in en, fa, el", capsys.readouterr().out)


def test_the_cli_names_a_broken_article(
    kb: Path, aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    write_article(kb, "en/billing/x.md", "title: T\n")
    assert main(["kb", "publish", "--source", str(kb), "--bucket", "portal"]) == 1
    assert "kb/en/billing/x.md" in capsys.readouterr().err


def test_feedback_is_stored_in_the_tickets_table(tickets_table: str) -> None:
    # Given the DynamoDB store on the table template.yaml declares
    store = DynamoFeedbackStore(tickets_table)
    # When votes, two searches (one with no result) and a ticket after two articles are recorded
    for _ in range(3):
        feedback.vote(store, language="el", article="refund", helpful=True, source="kb")
    feedback.searched(store, language="el", query="Δωροκάρτα", results=0)
    feedback.searched(store, language="el", query="Επιστροφή", results=2)
    feedback.ticket_opened(
        store, [feedback.ArticleView("el", "refund"), feedback.ArticleView("en", "refund")]
    )
    # Then one Query reads them back
    report = feedback.report(store)
    assert report.articles == [
        feedback.ArticleStats("el", "refund", 3, 0, 0, 1),
        feedback.ArticleStats("en", "refund", 0, 0, 0, 1),
    ]
    assert report.missed == [feedback.MissedSearch("el", "δωροκαρτα", 1)]
    assert (report.searches, report.tickets_after_view) == ({"el": 2}, 1)


def test_the_dynamo_store_keeps_versions_and_refuses_a_lost_race(tickets_table: str) -> None:
    # Given two saves on the real table shape
    table = DynamoArticleStore(tickets_table)
    articles.save_draft(table, ADMIN, "el", "x", kb_draft(), expected_version=None)
    articles.save_draft(table, ADMIN, "el", "x", kb_draft("δύο"), expected_version=1)
    # Then both versions are kept and the head points at the second
    assert table.version("el", "x", 1).body == "Πατήστε **Εκτύπωση**."
    assert [(s.slug, s.draft, s.published) for s in table.summaries()] == [("x", 2, 0)]
    # And a writer that read version 1 loses, as does publishing a draft that is not the latest
    late = articles.Version(1, "T", "D", "billing", "late", "", (), "admin:b", first_time())
    with pytest.raises(Conflict):
        table.add_version("el", "x", replace(late, number=2), expected_draft=1)
    with pytest.raises(Conflict):
        table.set_published("el", "x", 1, actor="admin:admin@example.com")
    table.set_published("el", "x", 2, actor="admin:admin@example.com")
    assert [a.body for a in articles.published_articles(table)] == ["δύο"]


def test_the_cli_publish_keeps_the_api_articles_pages(
    tickets_table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an article published through the API, and the portal bucket
    table = DynamoArticleStore(tickets_table)
    articles.save_draft(table, ADMIN, "el", "print-invoice", kb_draft(), expected_version=None)
    articles.publish(table, ADMIN, "el", "print-invoice", expected_version=1, library=load(REPO_KB))
    boto3.client("s3").create_bucket(Bucket="portal")
    monkeypatch.setenv("TABLE_NAME", tickets_table)
    # When an operator publishes kb/ with the CLI
    assert main(["kb", "publish", "--source", str(REPO_KB), "--bucket", "portal"]) == 0
    # Then the API article's page is there beside kb/'s
    page = boto3.client("s3").get_object(Bucket="portal", Key="kb/el/print-invoice.html")
    assert "Εκτύπωση τιμολογίου" in page["Body"].read().decode()


def _a_distribution() -> str:
    made = boto3.client("cloudfront").create_distribution(
        DistributionConfig={
            "CallerReference": "portal",
            "Comment": "portal",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "portal",
                        "DomainName": "portal.s3.us-east-1.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "portal",
                "ViewerProtocolPolicy": "redirect-to-https",
            },
        }
    )
    return str(made["Distribution"]["Id"])


def _invalidated(distribution: str) -> list[list[str]]:
    cloudfront = boto3.client("cloudfront")
    listing = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"]
    return [
        cloudfront.get_invalidation(DistributionId=distribution, Id=item["Id"])["Invalidation"][
            "InvalidationBatch"
        ]["Paths"].get("Items", [])
        for item in listing.get("Items", [])
    ]


def test_the_portal_publish_writes_and_invalidates_only_what_changed(
    aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a portal bucket, its distribution, and the portal's files and knowledge base
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="portal")
    distribution = _a_distribution()
    static = tmp_path / "portal_static"
    (static / "console").mkdir(parents=True)
    (static / "console" / "console.js").write_text("export const v = 1;\n")
    (static / "console" / "console.css").write_text("body { color: black }\n")
    publish = [
        "portal", "publish", "--static", str(static), "--source", str(REPO_KB),
        "--bucket", "portal", "--distribution", distribution,
    ]  # fmt: skip

    # When it is published, then published again unchanged, then with one script changed
    assert main(publish) == 0
    first = capsys.readouterr().out
    assert main(publish) == 0
    second = capsys.readouterr().out
    (static / "console" / "console.js").write_text("export const v = 2;\n")
    assert main(publish) == 0

    # Then the first publish wrote everything (a wildcard per folder, the site's root pages),
    # the second wrote and invalidated nothing, the third only that script
    assert "published 2 changed portal files" in first
    assert "0 changed portal files" in second
    assert "(0 written, 0 removed)" in second
    batches = sorted(_invalidated(distribution), key=len)
    assert batches[0] == ["/console/console.js"]
    assert "/kb/*" in batches[-1]
    assert "/" in batches[-1]
    assert len(batches) == 2  # the unchanged publish asked for nothing
    script = s3.get_object(Bucket="portal", Key="console/console.js")
    assert script["ContentType"] == "text/javascript; charset=utf-8"
    assert script["Body"].read() == b"export const v = 2;\n"
