"""What a publish tells the CDN to forget: each changed key, or wildcards when there are many."""

from __future__ import annotations

from tessera.kb.site import MAX_PATHS, invalidation_paths


def test_a_few_changed_keys_are_invalidated_one_by_one() -> None:
    # Given two changed files, one of them the site's root page
    # When their paths are worked out
    paths = invalidation_paths(["console/console.js", "index.html"])
    # Then each is named, and / too (CloudFront caches it apart from /index.html)
    assert paths == ["/", "/console/console.js", "/index.html"]


def test_many_changed_keys_become_one_wildcard_per_folder() -> None:
    # Given more changed keys than the limit, in two folders and the root
    keys = [f"kb/en/a{i}.html" for i in range(MAX_PATHS)] + ["assets/x.js", "sitemap.xml"]
    # Then a wildcard covers each folder; root files keep their own path
    assert invalidation_paths(keys) == ["/assets/*", "/kb/*", "/sitemap.xml"]


def test_nothing_changed_is_nothing_to_invalidate_and_too_much_is_everything() -> None:
    assert invalidation_paths([]) == []
    many_roots = [f"page{i}.html" for i in range(MAX_PATHS + 1)]
    assert invalidation_paths(many_roots) == ["/*"]
