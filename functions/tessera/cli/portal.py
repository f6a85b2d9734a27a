"""``tessera portal publish``: after a deploy, upload ``portal_static/`` and publish ``kb/`` to
the portal bucket, then have CloudFront forget exactly what changed. See docs/operations.md."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from tessera.cli.kb import add_distribution_argument, api_articles, invalidate


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "portal", help="the hosted portal: publish its files and the knowledge base"
    )
    actions = parser.add_subparsers(dest="action", required=True)
    publish = actions.add_parser(
        "publish",
        help="upload portal_static/ and kb/ to the portal bucket; invalidate what changed",
    )
    publish.add_argument(
        "--static", type=Path, default=Path("portal_static"), help="the portal_static/ folder"
    )
    publish.add_argument("--source", type=Path, default=Path("kb"), help="the kb/ folder")
    publish.add_argument("--bucket", help="the portal bucket (default: $PORTAL_BUCKET)")
    add_distribution_argument(publish)
    publish.set_defaults(run=run_publish)


def run_publish(args: argparse.Namespace) -> int:
    from tessera import bootstrap
    from tessera.config import ConfigError
    from tessera.kb.assets import publish_assets
    from tessera.kb.publish import publish_site

    bucket = args.bucket or os.environ.get("PORTAL_BUCKET", "").strip()
    if not bucket:
        print("tessera: name the portal bucket: --bucket or PORTAL_BUCKET", file=sys.stderr)
        return 2
    if not args.static.is_dir():
        print(f"tessera: {args.static} is not a folder (--static)", file=sys.stderr)
        return 2
    store = bootstrap.portal_site(bucket)
    files = publish_assets(args.static, store)
    try:
        report = publish_site(args.source, api_articles(), store)
    except ConfigError as error:
        print(f"tessera: {error}", file=sys.stderr)
        return 1
    print(
        f"published {len(files)} changed portal files and {report.articles} articles in "
        f"{', '.join(report.languages)} ({report.written} written, {report.deleted} removed) "
        f"to s3://{bucket}/"
    )
    invalidate(args, files + list(report.changed))
    return 0
