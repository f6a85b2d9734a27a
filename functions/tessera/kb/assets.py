"""The portal's static files (``portal_static/``: the agent console, the portal's scripts,
styles and vendored libraries) uploaded to the portal bucket, as a deploy and the local stack's
start do. Only files whose bytes changed are written; their keys are returned, so the CDN in
front forgets exactly those (tessera.kb.site.invalidation_paths)."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from tessera.kb.site import CACHE_PAGES, Page, SiteStore, digest


def content_type(path: Path) -> str:
    guessed = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if guessed.startswith("text/") or guessed.endswith(("javascript", "json", "svg+xml")):
        guessed += "; charset=utf-8"
    return guessed


def publish_assets(source: Path, store: SiteStore) -> list[str]:
    """Write every file under ``source`` whose bytes differ from the bucket's copy; the keys
    written. Browsers revalidate them as they do pages (CACHE_PAGES); the CDN keeps them long
    and is told what changed."""
    present = store.digests("")
    written = []
    for path in sorted(source.rglob("*")):
        if not path.is_file():
            continue
        key = path.relative_to(source).as_posix()
        body = path.read_bytes()
        if present.get(key) == digest(body):
            continue
        store.put(key, Page(body=body, content_type=content_type(path), cache_control=CACHE_PAGES))
        written.append(key)
    return written
