"""What the knowledge base publishes and where it goes: a :class:`Page` per object key, written
to a :class:`SiteStore` (the portal bucket). Kept apart from the renderer so a store adapter
does not import Jinja2 and markdown-it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

HTML = "text/html; charset=utf-8"
JSON = "application/json; charset=utf-8"
# Pages may change on the next publish; the index and pages are small. Browsers revalidate.
CACHE_PAGES = "public, max-age=300"


@dataclass(frozen=True)
class Page:
    body: bytes
    content_type: str
    cache_control: str = CACHE_PAGES


class SiteStore(Protocol):
    """Where published objects go (the portal bucket)."""

    def put(self, key: str, page: Page) -> None: ...

    def keys(self, prefix: str) -> list[str]: ...

    def delete(self, keys: list[str]) -> None: ...

    def digests(self, prefix: str) -> dict[str, str]:
        """The MD5 (hex) of every object under ``prefix``, by key: what is there already, so a
        publish writes (and invalidates) only what changed."""
        ...


class CdnCache(Protocol):
    """The CDN in front of the portal bucket (CloudFront): forget the given paths."""

    def invalidate(self, paths: Sequence[str]) -> None: ...


def digest(body: bytes) -> str:
    """What :meth:`SiteStore.digests` reports for an object with this body."""
    return hashlib.md5(body, usedforsecurity=False).hexdigest()


# CloudFront bills invalidation paths beyond 1,000 a month; a wildcard counts as one.
MAX_PATHS = 15


def invalidation_paths(keys: Iterable[str], limit: int = MAX_PATHS) -> list[str]:
    """The CDN paths that cover ``keys`` (bucket keys that changed): each key's own path, or,
    past ``limit`` of them, one wildcard per top-level folder (``/kb/*``) and the root files;
    ``/index.html`` also stands for ``/``, which CloudFront caches apart."""
    keys = sorted(set(keys))
    if not keys:
        return []
    paths = {f"/{key}" for key in keys}
    if len(paths) > limit:
        paths = {f"/{key.split('/', 1)[0]}/*" if "/" in key else f"/{key}" for key in keys}
    if "index.html" in keys:
        paths.add("/")
    if len(paths) > limit:
        return ["/*"]
    return sorted(paths)
