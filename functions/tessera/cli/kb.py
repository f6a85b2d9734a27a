"""``tessera kb publish``: render kb/ (markdown) to static pages and a search index in the
portal bucket. See docs/portal.md."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("kb", help="the knowledge base: publish kb/ to the portal")
    actions = parser.add_subparsers(dest="action", required=True)
    publish = actions.add_parser(
        "publish", help="render every article and write pages + search index to the portal bucket"
    )
    publish.add_argument("--source", type=Path, default=Path("kb"), help="the kb/ folder")
    publish.add_argument(
        "--bucket", help="the portal bucket (default: $PORTAL_BUCKET, or the local stack's)"
    )
    publish.add_argument(
        "--local", dest="kb_local", action="store_true", help="publish to the running local stack"
    )
    add_distribution_argument(publish)
    publish.set_defaults(run=run_publish)


def add_distribution_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--distribution",
        help="the CloudFront distribution to invalidate (the PortalDistributionId output; "
        "default: $PORTAL_DISTRIBUTION_ID; none: nothing is invalidated)",
    )


def invalidate(args: argparse.Namespace, changed: list[str]) -> None:
    """Tell the distribution (if one is named) which of the bucket's keys changed."""
    from tessera import bootstrap
    from tessera.kb.site import invalidation_paths

    distribution = args.distribution or os.environ.get("PORTAL_DISTRIBUTION_ID", "").strip()
    if not distribution:
        return
    paths = invalidation_paths(changed)
    bootstrap.portal_cdn(distribution).invalidate(paths)
    print(f"invalidated {len(paths)} path(s) on {distribution}: {' '.join(paths) or '(none)'}")


def run_publish(args: argparse.Namespace) -> int:
    from tessera import bootstrap
    from tessera.cli import use_local_stack
    from tessera.config import ConfigError
    from tessera.kb.publish import publish_site

    if args.kb_local:
        use_local_stack(args.data_dir)
    bucket = args.bucket or os.environ.get("PORTAL_BUCKET", "").strip()
    if not bucket:
        print("tessera: name the portal bucket: --bucket or PORTAL_BUCKET", file=sys.stderr)
        return 2
    try:
        report = publish_site(args.source, api_articles(), bootstrap.portal_site(bucket))
    except ConfigError as error:
        print(f"tessera: {error}", file=sys.stderr)
        return 1
    print(
        f"published {report.articles} articles in {', '.join(report.languages)}: "
        f"{report.written} objects written, {report.deleted} removed, to s3://{bucket}/"
    )
    invalidate(args, list(report.changed))
    return 0


def api_articles() -> Any:
    """The store of the articles admins published through the API (tessera.kb.articles), which
    a publish of kb/ alone would remove from the bucket. Without TABLE_NAME: none, said."""
    from tessera import bootstrap

    if not os.environ.get("TABLE_NAME", "").strip():
        print(
            "tessera: TABLE_NAME is not set: publishing kb/ only; pages of articles published "
            "through the admin API are removed until they are published again",
            file=sys.stderr,
        )
        return None
    return bootstrap.kb_articles()
