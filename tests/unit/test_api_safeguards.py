"""The API's safeguards as use cases against fakes: attachments bound to their ticket,
idempotent creates, per-caller rate limits, per-address limits on sign-in mail and on wrong
passwords."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest

from tessera.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from tessera.identity import customers, staff
from tessera.identity.access import Principal, Role
from tessera.ports import Dependencies, PresignedUpload, StoredFile
from tessera.safeguards import idempotency, rate_limits
from tessera.tickets import attachments, conversation
from tessera.tickets.model import Attachment, Message, MessageKind, Ticket
from tests.fakes import FakeRateCounters, World

CAROL = Principal("carol@customer.test", frozenset({Role.CUSTOMER}))
SAM = Principal("sam@customer.test", frozenset({Role.CUSTOMER}))
ALICE = Principal("alice@example.com", frozenset({Role.AGENT}))


@dataclass
class FakeFileTransfers:
    """Presigns by recording; ``stored`` is what S3 holds (as a HEAD would describe it)."""

    stored: dict[str, StoredFile] = field(default_factory=dict)
    uploads: list[dict[str, object]] = field(default_factory=list)

    def presign_upload(
        self, key: str, *, filename: str, content_type: str, max_size: int, expires_in: int
    ) -> PresignedUpload:
        self.uploads.append({"key": key, "filename": filename, "max_size": max_size})
        return PresignedUpload(url="https://s3.test/bucket", fields={"key": key})

    def presign_download(
        self, key: str, *, filename: str, content_type: str, expires_in: int
    ) -> str:
        return f"https://s3.test/{key}?disposition=attachment&type={content_type}"

    def describe(self, key: str) -> StoredFile | None:
        return self.stored.get(key)

    def upload(self, key: str, *, size: int = 10, content_type: str = "text/plain") -> None:
        self.stored[key] = StoredFile(key, size, content_type, "notes.txt")


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def files() -> FakeFileTransfers:
    return FakeFileTransfers()


@pytest.fixture
def deps(world: World, files: FakeFileTransfers) -> Dependencies:
    return dataclasses.replace(
        world.deps, file_transfers=lambda: files, rate_counters=FakeRateCounters
    )


def carols_ticket(deps: Dependencies) -> Ticket:
    return conversation.create_ticket(deps, CAROL, subject="Printer", body="It prints nothing.")


# ------------------------------------------------------------------------------ attachments
def test_upload_is_signed_for_a_key_under_the_ticket(
    deps: Dependencies, files: FakeFileTransfers
) -> None:
    # Given carol's ticket
    ticket = carols_ticket(deps)
    # When she asks to upload a file to it
    upload = attachments.request_upload(
        deps, CAROL, ticket.id, filename="../photo.png", content_type="image/png", size=2048
    )
    # Then the key is bound to the ticket, the size to what she declared, the name cleaned
    assert files.uploads == [
        {
            "key": f"uploads/{ticket.id}/{upload.attachment}",
            "filename": "_photo.png",
            "max_size": 2048,
        }
    ]


@pytest.mark.parametrize(
    ("content_type", "size", "field_name"),
    [
        ("text/html", 10, "content_type"),
        ("application/x-msdownload", 10, "content_type"),
        ("image/png", attachments.MAX_BYTES + 1, "size"),
        ("image/png", 0, "size"),
    ],
)
def test_upload_refuses_types_and_sizes_up_front(
    deps: Dependencies, content_type: str, size: int, field_name: str
) -> None:
    ticket = carols_ticket(deps)
    with pytest.raises(ValidationFailed) as refused:
        attachments.request_upload(
            deps, CAROL, ticket.id, filename="f", content_type=content_type, size=size
        )
    assert refused.value.field == field_name


def test_a_stranger_cannot_upload_to_or_download_from_a_ticket(deps: Dependencies) -> None:
    ticket = carols_ticket(deps)
    with pytest.raises(NotFound):
        attachments.request_upload(
            deps, SAM, ticket.id, filename="f.txt", content_type="text/plain", size=1
        )
    with pytest.raises(NotFound):
        attachments.download(deps, SAM, ticket.id, "01ARZ3NDEKTSV4RRFFQ69G5FAV")


def test_an_uploaded_file_rides_on_a_reply_and_downloads_for_those_who_see_it(
    deps: Dependencies, files: FakeFileTransfers, world: World
) -> None:
    # Given a file carol uploaded to her ticket
    ticket = carols_ticket(deps)
    upload = attachments.request_upload(
        deps, CAROL, ticket.id, filename="notes.txt", content_type="text/plain", size=10
    )
    files.upload(f"uploads/{ticket.id}/{upload.attachment}")
    # When she replies naming it
    found = attachments.uploaded(deps, CAROL, ticket.id, [upload.attachment])
    conversation.reply(deps, CAROL, ticket.id, text="see file", attachments=found)
    # Then the message carries it and carol and the agent get a download link; sam does not
    stored = world.tickets.thread(ticket.id).messages[-1].attachments
    assert [(a.filename, a.content_type, a.size) for a in stored] == [
        ("notes.txt", "text/plain", 10)
    ]
    for who in (CAROL, ALICE):
        link = attachments.download(deps, who, ticket.id, upload.attachment)
        assert "disposition=attachment" in link.url
        assert (link.filename, link.content_type) == ("notes.txt", "text/plain")
    with pytest.raises(NotFound):
        attachments.download(deps, SAM, ticket.id, upload.attachment)


def test_a_file_of_another_ticket_cannot_be_attached_or_downloaded_here(
    deps: Dependencies, files: FakeFileTransfers
) -> None:
    # Given carol's two tickets, a file uploaded to the first and attached there
    first, second = carols_ticket(deps), carols_ticket(deps)
    upload = attachments.request_upload(
        deps, CAROL, first.id, filename="a.txt", content_type="text/plain", size=10
    )
    files.upload(f"uploads/{first.id}/{upload.attachment}")
    conversation.reply(
        deps,
        CAROL,
        first.id,
        text="x",
        attachments=attachments.uploaded(deps, CAROL, first.id, [upload.attachment]),
    )
    # When its id is named on the second ticket, then it is not there
    with pytest.raises(ValidationFailed) as refused:
        attachments.uploaded(deps, CAROL, second.id, [upload.attachment])
    assert refused.value.field == "attachments[0]"
    with pytest.raises(NotFound):
        attachments.download(deps, CAROL, second.id, upload.attachment)


def test_an_upload_that_broke_the_limits_is_refused_when_attached(
    deps: Dependencies, files: FakeFileTransfers
) -> None:
    ticket = carols_ticket(deps)
    files.upload(f"uploads/{ticket.id}/01ARZ3NDEKTSV4RRFFQ69G5FAV", content_type="text/html")
    with pytest.raises(ValidationFailed) as refused:
        attachments.uploaded(deps, CAROL, ticket.id, ["01ARZ3NDEKTSV4RRFFQ69G5FAV"])
    assert refused.value.field == "attachments[0].content_type"


def test_files_on_internal_notes_are_not_downloadable_by_customers(
    deps: Dependencies, world: World
) -> None:
    # Given an internal note carrying a mail attachment (as intake stores them)
    ticket = carols_ticket(deps)
    digest = "a" * 64
    file = Attachment(f"mail/{digest}", "x.pdf", "application/pdf", 3)
    note = Message(ticket.id, MessageKind.INTERNAL, ALICE.email, "internal", attachments=(file,))
    world.tickets.add_message(world.tickets.get(ticket.id), note, [])
    # Then the agent can download it and the requester cannot
    assert attachments.download(deps, ALICE, ticket.id, digest).filename == "x.pdf"
    with pytest.raises(NotFound):
        attachments.download(deps, CAROL, ticket.id, digest)


# ------------------------------------------------------------------------------ idempotency
def test_a_repeated_key_returns_what_the_first_request_created(deps: Dependencies) -> None:
    made: list[str] = []

    def create() -> str:
        made.append(f"id-{len(made)}")
        return made[-1]

    first = idempotency.once(deps, CAROL, "k-1", scope="tickets", body={"a": 1}, create=create)
    again = idempotency.once(deps, CAROL, "k-1", scope="tickets", body={"a": 1}, create=create)
    other = idempotency.once(deps, SAM, "k-1", scope="tickets", body={"a": 1}, create=create)
    assert (first, again, other) == (("id-0", False), ("id-0", True), ("id-1", False))


def test_a_repeated_key_with_another_body_is_a_conflict(deps: Dependencies) -> None:
    idempotency.once(deps, CAROL, "k-2", scope="tickets", body={"a": 1}, create=lambda: "id")
    with pytest.raises(idempotency.KeyReused):
        idempotency.once(deps, CAROL, "k-2", scope="tickets", body={"a": 2}, create=lambda: "x")


def test_a_failed_create_releases_the_key(deps: Dependencies) -> None:
    def fail() -> str:
        raise Conflict("lost a race")

    with pytest.raises(Conflict):
        idempotency.once(deps, CAROL, "k-3", scope="tickets", body={}, create=fail)
    assert idempotency.once(deps, CAROL, "k-3", scope="tickets", body={}, create=lambda: "id") == (
        "id",
        False,
    )


def test_an_idempotency_key_must_be_printable(deps: Dependencies) -> None:
    with pytest.raises(ValidationFailed) as refused:
        idempotency.once(deps, CAROL, "a b", scope="tickets", body={}, create=lambda: "id")
    assert refused.value.field == "Idempotency-Key"


# ------------------------------------------------------------------------------ rate limits
def test_a_customer_over_budget_is_limited_until_the_window_ends(world: World) -> None:
    counters = FakeRateCounters()
    deps = dataclasses.replace(world.deps, rate_counters=lambda: counters)
    clock = 60.0 * 16_667 + 20  # 20 s into a one-minute window
    for _ in range(rate_limits.PER_CUSTOMER):
        rate_limits.check(deps, principal=CAROL, source_ip="10.0.0.1", clock=lambda: clock)
    with pytest.raises(rate_limits.RateLimited) as limited:
        rate_limits.check(deps, principal=CAROL, source_ip="10.0.0.1", clock=lambda: clock)
    assert limited.value.retry_after == 40
    # Another customer, and staff, are not held back; the next window starts afresh
    rate_limits.check(deps, principal=SAM, source_ip="10.0.0.1", clock=lambda: clock)
    rate_limits.check(deps, principal=ALICE, source_ip="10.0.0.1", clock=lambda: clock)
    rate_limits.check(deps, principal=CAROL, source_ip="10.0.0.1", clock=lambda: clock + 40)


def test_public_requests_count_per_ip(world: World) -> None:
    counters = FakeRateCounters()
    deps = dataclasses.replace(world.deps, rate_counters=lambda: counters)
    for _ in range(rate_limits.PER_IP):
        rate_limits.check(deps, principal=None, source_ip="10.0.0.9", clock=lambda: 60.0)
    with pytest.raises(rate_limits.RateLimited):
        rate_limits.check(deps, principal=None, source_ip="10.0.0.9", clock=lambda: 60.0)
    rate_limits.check(deps, principal=None, source_ip="10.0.0.10", clock=lambda: 60.0)


def test_sign_in_mails_to_one_address_are_capped_without_saying_so(world: World) -> None:
    # Given a flood of sign-in link requests for one victim's address
    for _ in range(rate_limits.MAGIC_LINKS_PER_ADDRESS + 5):
        customers.request_magic_link(world.deps, "Victim@Customer.test", portal_url="https://h")
    # Then only the budget's worth was mailed (the answer to each request was the same)
    assert len(world.mailer.sent) == rate_limits.MAGIC_LINKS_PER_ADDRESS
    # And another address is not held back by it
    customers.request_magic_link(world.deps, "other@customer.test", portal_url="https://h")
    assert world.mailer.sent[-1]["to"] == ["other@customer.test"]


@dataclass
class FakeStaffSignIn:
    password: str = "right-password-1"
    attempts: int = 0

    def sign_in(self, email: str, password: str) -> str:
        self.attempts += 1
        if password != self.password:
            raise Unauthorized("wrong email or password")
        return "id-token"


def test_wrong_passwords_lock_the_address_for_a_while_and_right_ones_do_not_count(
    world: World,
) -> None:
    directory = FakeStaffSignIn()
    deps = dataclasses.replace(world.deps, staff_directory=lambda: directory)
    # Right passwords never count against the address
    for _ in range(rate_limits.FAILED_SIGN_INS_PER_ADDRESS + 2):
        assert staff.login(deps, "alice@example.com", "right-password-1") == "id-token"
    # Wrong ones do; at the limit every attempt is refused before it reaches the user pool
    for _ in range(rate_limits.FAILED_SIGN_INS_PER_ADDRESS):
        with pytest.raises(Unauthorized):
            staff.login(deps, "Alice@example.com", "guess")
    tried = directory.attempts
    with pytest.raises(rate_limits.RateLimited) as limited:
        staff.login(deps, "alice@example.com", "right-password-1")
    assert limited.value.retry_after > 0
    assert directory.attempts == tried
    # And another address is not locked out by it
    assert staff.login(deps, "bahram@example.com", "right-password-1") == "id-token"


@pytest.mark.parametrize("mail_type", ["text/html", "image/svg+xml", "application/javascript"])
def test_a_mail_attachment_a_browser_would_run_downloads_as_bytes(
    deps: Dependencies, world: World, mail_type: str
) -> None:
    # Given a mail attachment of a type a browser renders or runs
    ticket = carols_ticket(deps)
    file = Attachment(
        key="mail/" + "a" * 64, filename="invoice.html", content_type=mail_type, size=5
    )
    message = Message(ticket.id, MessageKind.PUBLIC, CAROL.email, "see", attachments=(file,))
    world.tickets.add_message(world.tickets.get(ticket.id), message, [])
    # When it is downloaded
    link = attachments.download(deps, CAROL, ticket.id, "a" * 64)
    # Then it is served as bytes to save, never as the page or script it claims to be
    assert link.content_type == "application/octet-stream"
    assert "disposition=attachment" in link.url
