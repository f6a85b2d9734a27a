"""What the knowledge base publishes and where it goes: a :class:`Page` per object key, written
to a :class:`SiteStore` (the portal bucket). Kept apart from the renderer so a store adapter
does not import Jinja2 and markdown-it."""

from __future__ import annotations

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
