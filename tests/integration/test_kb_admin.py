"""Knowledge-base articles written through the admin API, on the local stack: a Greek draft,
published to the same pages and search index the stack's HTTP port serves from the portal
bucket; drafts do not change the page until published; stale If-Match is 412."""

from __future__ import annotations

import uuid

import pytest

from tests.localstack import RunningStack, customer_session, start_stack, stop_stack

pytestmark = pytest.mark.integration


def greek(body: str) -> dict[str, object]:
    return {
        "title": "Εκτύπωση τιμολογίου",
        "description": "Πώς τυπώνετε ένα τιμολόγιο από τον λογαριασμό σας.",
        "category": "billing",
        "body": body,
        "keywords": ["απόδειξη"],
    }


def test_only_admins_reach_the_article_routes(stack: RunningStack) -> None:
    # Given one article, and a caller of each role
    admin = stack.login()
    slug = f"roles-{uuid.uuid4().hex[:8]}"
    path = f"/api/admin/kb/articles/el/{slug}"
    assert stack.request("PUT", path, greek("Κείμενο."), token=admin)[0] == 200
    tokens = {
        "anonymous": None,
        "customer": customer_session(stack, "kb-reader@customer.test"),
        "agent": stack.login("alice@example.com"),
    }
    expected = {"anonymous": 401, "customer": 403, "agent": 403}
    # Then only the admin reads, writes and publishes it
    for method, route, body in (
        ("GET", path, None),
        ("PUT", path, greek("Άλλο.")),
        ("POST", f"{path}/publish", None),
    ):
        got = {role: stack.request(method, route, body, token=t)[0] for role, t in tokens.items()}
        assert got == expected, (method, route)
    assert stack.request("POST", f"{path}/publish", None, token=admin)[0] == 200


def test_admin_publishes_a_greek_article_to_the_portal(stack: RunningStack) -> None:
    admin = stack.login()
    slug = f"print-invoice-{uuid.uuid4().hex[:8]}"
    path = f"/api/admin/kb/articles/el/{slug}"
    page = f"/kb/el/{slug}.html"

    # Given an admin saves a Greek draft
    status, saved = stack.request(
        "PUT", path, greek("Πατήστε **Εκτύπωση** στο τιμολόγιο."), token=admin
    )
    assert status == 200, saved
    assert (saved["draft_version"], saved["published_version"], saved["published"]) == (1, 0, None)
    # Then it is not on the portal yet
    assert stack.request("GET", page)[0] in (403, 404)

    # When it is published
    status, published = stack.request(
        "POST", f"{path}/publish", None, token=admin, headers={"If-Match": '"1"'}
    )
    assert status == 200, published
    assert (published["published_version"], published["url"]) == (1, f"kb/el/{slug}.html")
    # Then the stack serves the page and the Greek search index finds it
    status, html = stack.request("GET", page)
    assert status == 200
    assert "Εκτύπωση τιμολογίου" in html
    assert "<strong>Εκτύπωση</strong>" in html
    _status, index = stack.request("GET", "/kb/el/search.json")
    assert f"kb/el/{slug}.html" in [doc[0] for doc in index["docs"]]
    assert "αποδειξη" in index["terms"]  # its keyword, normalised
    # And kb/'s own articles are still there
    assert stack.request("GET", "/kb/el/reset-password.html")[0] == 200

    # When the draft is edited
    status, edited = stack.request(
        "PUT",
        path,
        greek("Νέες οδηγίες για την εκτύπωση."),
        token=admin,
        headers={"If-Match": '"1"'},
    )
    assert (status, edited["draft_version"], edited["published_version"]) == (200, 2, 1)
    # Then the published page is unchanged until it is published again
    assert "Νέες οδηγίες" not in stack.request("GET", page)[1]
    status, again = stack.request(
        "POST", f"{path}/publish", None, token=admin, headers={"If-Match": '"2"'}
    )
    assert status == 200, again
    assert "Νέες οδηγίες" in stack.request("GET", page)[1]

    # And a save or a publish against a stale version is refused with 412
    stale = stack.request("PUT", path, greek("Παλιό."), token=admin, headers={"If-Match": '"1"'})
    assert (stale[0], stale[1]["error"]["code"]) == (412, "PreconditionFailed")
    stale = stack.request("POST", f"{path}/publish", None, token=admin, headers={"If-Match": '"1"'})
    assert stale[0] == 412

    # And the admin reads both versions; the list has it
    status, article = stack.request("GET", path, token=admin)
    assert status == 200
    assert (article["draft"]["version"], article["published"]["version"]) == (2, 2)
    assert article["draft"]["author"] == "admin:admin@example.com"
    _status, listing = stack.request("GET", "/api/admin/kb/articles", token=admin)
    assert slug in [item["slug"] for item in listing["items"]]

    # And every call the API made on the local stack is one its policy allows
    _status, report = stack.request("GET", "/_local/iam")
    assert {"s3:PutObject", "s3:ListBucket"} <= {c["action"] for c in report["calls"]}
    assert report["denied"] == []


def test_a_slug_of_a_kb_file_and_a_bad_field_are_refused(stack: RunningStack) -> None:
    admin = stack.login()
    taken = stack.request(
        "PUT", "/api/admin/kb/articles/el/reset-password", greek("x"), token=admin
    )
    assert (taken[0], taken[1]["error"]["code"]) == (409, "Conflict")
    body = {**greek("x"), "category": "gardening"}
    wrong = stack.request("PUT", "/api/admin/kb/articles/el/new-one", body, token=admin)
    assert (wrong[0], wrong[1]["error"]["field"]) == (400, "category")
    missing = stack.request(
        "PUT",
        "/api/admin/kb/articles/el/new-one",
        {"title": "T", "description": "D", "category": "billing"},
        token=admin,
    )
    assert (missing[0], missing[1]["error"]["field"]) == (400, "body")


def test_a_published_article_survives_a_restart_of_the_stack(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # Given an article published through the API on a stack that is then stopped
    data_dir = tmp_path_factory.mktemp("kb-restart")
    first = start_stack(data_dir, fresh=True)
    try:
        admin = first.login()
        path = "/api/admin/kb/articles/el/kept-article"
        assert first.request("PUT", path, greek("Διατηρείται."), token=admin)[0] == 200
        assert first.request("POST", f"{path}/publish", None, token=admin)[0] == 200
    finally:
        stop_stack(first)
    # When it starts again (publishing kb/ at start, as it always does)
    second = start_stack(data_dir)
    try:
        # Then the API article's page is still served
        status, html = second.request("GET", "/kb/el/kept-article.html")
        assert status == 200
        assert "Διατηρείται." in html
    finally:
        stop_stack(second)


def test_an_article_is_unpublished_then_deleted_and_leaves_the_portal(stack: RunningStack) -> None:
    admin = stack.login()
    slug = f"leaving-{uuid.uuid4().hex[:8]}"
    path = f"/api/admin/kb/articles/el/{slug}"
    page = f"/kb/el/{slug}.html"
    # Given a published article
    assert stack.request("PUT", path, greek("Θα φύγει."), token=admin)[0] == 200
    assert stack.request("POST", f"{path}/publish", None, token=admin)[0] == 200
    assert stack.request("GET", page)[0] == 200
    # When it is unpublished
    status, unpublished = stack.request("POST", f"{path}/unpublish", None, token=admin)
    # Then its page and its search entry are gone, and its draft stays
    assert (status, unpublished["published_version"]) == (200, 0), unpublished
    assert unpublished["deleted"] >= 1
    assert stack.request("GET", page)[0] in (403, 404)
    _status, index = stack.request("GET", "/kb/el/search.json")
    assert f"kb/el/{slug}.html" not in [doc[0] for doc in index["docs"]]
    assert stack.request("GET", path, token=admin)[1]["draft"]["body"] == "Θα φύγει."
    # When it is published again and deleted with a stale If-Match
    assert stack.request("POST", f"{path}/publish", None, token=admin)[0] == 200
    stale = stack.request("DELETE", path, token=admin, headers={"If-Match": '"7"'})
    # Then nothing is deleted
    assert stale[0] == 412
    assert stack.request("GET", page)[0] == 200
    # When it is deleted at its version
    status, deleted = stack.request("DELETE", path, token=admin, headers={"If-Match": '"1"'})
    # Then it is gone from the list, the portal and the search index
    assert status == 200, deleted
    assert stack.request("GET", path, token=admin)[0] == 404
    assert stack.request("GET", page)[0] in (403, 404)
    _status, index = stack.request("GET", "/kb/el/search.json")
    assert f"kb/el/{slug}.html" not in [doc[0] for doc in index["docs"]]
    # And the same slug can be written afresh
    assert stack.request("PUT", path, greek("Ξανά."), token=admin)[1]["draft_version"] == 1
    # And every call was one the API's policy allows
    _status, report = stack.request("GET", "/_local/iam")
    assert "dynamodb:DeleteItem" in {c["action"] for c in report["calls"]}
    assert report["denied"] == []


def test_the_preview_is_the_publish_renderer_and_only_admins_reach_the_new_routes(
    stack: RunningStack,
) -> None:
    admin = stack.login()
    hostile = "# Title\n\n**bold** <script>alert(1)</script> [x](javascript:alert(1))"
    status, preview = stack.request("POST", "/api/admin/kb/preview", {"body": hostile}, token=admin)
    assert status == 200
    assert "<h2>Title</h2>" in preview["html"]
    assert "<strong>bold</strong>" in preview["html"]
    assert "<script>" not in preview["html"]
    assert 'href="javascript' not in preview["html"]
    slug = f"roles-{uuid.uuid4().hex[:8]}"
    path = f"/api/admin/kb/articles/el/{slug}"
    assert stack.request("PUT", path, greek("Κείμενο."), token=admin)[0] == 200
    tokens = {
        "anonymous": None,
        "customer": customer_session(stack, "kb-roles@customer.test"),
        "agent": stack.login("alice@example.com"),
    }
    for method, route in (("POST", f"{path}/unpublish"), ("DELETE", path)):
        got = {role: stack.request(method, route, None, token=t)[0] for role, t in tokens.items()}
        assert got == {"anonymous": 401, "customer": 403, "agent": 403}, (method, route)
