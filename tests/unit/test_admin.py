"""The admin center's use cases against fakes: the audit log (record, search by actor and
time, CSV safe for spreadsheets), configuration applies audited, canned responses shared per
group and previewed with their placeholders filled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tessera.admin import audit
from tessera.config import admin as config_admin
from tessera.errors import Forbidden, NotFound, ValidationFailed
from tessera.identity.access import Principal, Role
from tessera.tickets import canned, conversation, fields
from tests.fakes import World

ADMIN = Principal("admin@example.com", frozenset({Role.ADMIN}))
OTHER_ADMIN = Principal("olga@example.com", frozenset({Role.ADMIN}))
ALICE = Principal("alice@example.com", frozenset({Role.AGENT}))
BAHRAM = Principal("bahram@example.com", frozenset({Role.AGENT}))
DANA = Principal("dana@customer.test", frozenset({Role.CUSTOMER}))
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

GROUPS = """\
groups:
  - name: support
  - name: billing
agents:
  - email: alice@example.com
    groups: [billing]
  - email: bahram@example.com
    groups: [support]
"""
CANNED = """\
canned:
  - id: everyone
    title: For everyone
    text: "Hello {{requester.name}}"
  - id: refunds
    title: Refund done
    text: "Refund for #{{ticket.number}}, {{agent.name}}"
    groups: [billing]
"""


def test_the_log_is_searched_by_actor_and_time_newest_first() -> None:
    # Given actions by two admins over two months
    world = World()
    audit.record(
        world.deps, ADMIN, "config.applied", "config:sla", after="v1", at=NOW - timedelta(days=40)
    )
    audit.record(
        world.deps, OTHER_ADMIN, "account.disabled", "account:a@x", at=NOW - timedelta(days=2)
    )
    audit.record(world.deps, ADMIN, "account.invited", "account:b@x", at=NOW - timedelta(days=1))
    # When one admin's actions are searched, then everyone's in the last 30 days (the default)
    mine = audit.search(
        world.deps, ADMIN, actor="Admin@Example.com", start=NOW - timedelta(days=60), end=NOW
    )
    recent = audit.search(world.deps, ADMIN, now=NOW)
    # Then each answer is what was asked, newest first
    assert [e.action for e in mine] == ["account.invited", "config.applied"]
    assert [e.actor for e in recent] == ["admin@example.com", "olga@example.com"]


def test_only_admins_search_and_a_bad_range_names_its_field() -> None:
    world = World()
    with pytest.raises(Forbidden):
        audit.search(world.deps, ALICE)
    with pytest.raises(ValidationFailed) as backwards:
        audit.search(world.deps, ADMIN, start=NOW, end=NOW - timedelta(days=1))
    with pytest.raises(ValidationFailed) as too_long:
        audit.search(world.deps, ADMIN, start=NOW - timedelta(days=400), end=NOW)
    assert (backwards.value.field, too_long.value.field) == ("from", "to")


def test_the_csv_has_a_header_and_defuses_formulas() -> None:
    world = World()
    entry = audit.record(
        world.deps, ADMIN, "kb.published", "kb:en/x", before="=cmd()", after="+1", at=NOW
    )
    text = audit.as_csv([entry])
    header, row = text.splitlines()
    assert header == "at,actor,action,target,before,after"
    assert row == "2026-03-02T12:00:00Z,admin@example.com,kb.published,kb:en/x,'=cmd(),'+1"


def test_applying_a_config_document_is_audited_from_version_to_version() -> None:
    world = World()
    config_admin.apply_config(world.deps, ADMIN, "groups", GROUPS, expected_version=None)
    config_admin.apply_config(world.deps, ADMIN, "groups", GROUPS, expected_version=1)
    changes = [(e.target, e.before, e.after) for e in world.audit_log.added]
    assert changes == [("config:groups", "", "v1"), ("config:groups", "v1", "v2")]


def test_a_canned_response_shared_with_a_group_reaches_its_members_and_admins_only() -> None:
    # Given a response shared with billing only
    world = World()
    world.apply_config("groups", GROUPS)
    world.apply_config("canned", CANNED)
    ticket = conversation.create_ticket(world.deps, DANA, subject="Refund", body="x")
    # Then billing's alice and an admin get it; support's bahram does not, nor can apply it
    assert [r.id for r in canned.responses(world.deps, ALICE)] == ["everyone", "refunds"]
    assert [r.id for r in canned.responses(world.deps, ADMIN)] == ["everyone", "refunds"]
    assert [r.id for r in canned.responses(world.deps, BAHRAM)] == ["everyone"]
    assert canned.apply(world.deps, ALICE, ticket.id, "refunds").groups == {"billing"}
    with pytest.raises(NotFound):
        canned.apply(world.deps, BAHRAM, ticket.id, "refunds")


def test_the_preview_fills_placeholders_for_a_sample_ticket_and_refuses_a_bad_draft() -> None:
    previewed = config_admin.preview_canned(ADMIN, CANNED)
    assert previewed == [
        ("For everyone", "Hello Dana Customer"),
        ("Refund done", "Refund for #1042, Admin"),
    ]
    with pytest.raises(ValidationFailed) as refused:
        config_admin.preview_canned(ADMIN, CANNED.replace("agent.name", "agent.shoe"))
    assert (refused.value.field, refused.value.problem[:7]) == ("canned[1].text", "line 7:")
    with pytest.raises(Forbidden):
        config_admin.preview_canned(ALICE, CANNED)
    with pytest.raises(ValidationFailed):
        config_admin.preview_canned(ADMIN, CANNED.replace("groups: [billing]", "groups: []"))


FIELDS = """\
fields:
  - key: contract
    customer_visible: true
    required: [customers]
    labels: {en: Contract, el: Σύμβαση}
  - key: internal_code
    required: [agents]
  - key: plan
    type: choice
    choices: [free, pro]
    customer_visible: true
"""


def test_required_custom_fields_are_asked_of_whom_they_are_required() -> None:
    # Given a field customers must fill in and one agents must
    world = World()
    world.apply_config("fields", FIELDS)
    # Then a customer's ticket without theirs is refused, naming it; with it, opened
    with pytest.raises(ValidationFailed) as refused:
        conversation.create_ticket(world.deps, DANA, subject="s", body="b")
    assert refused.value.field == "custom_fields.contract"
    conversation.create_ticket(
        world.deps, DANA, subject="s", body="b", custom_fields={"contract": "C-1"}
    )
    # And an agent's needs the agents' field, not the customers'
    with pytest.raises(ValidationFailed) as agents:
        conversation.create_ticket(world.deps, ALICE, subject="s", body="b", requester=DANA.email)
    assert agents.value.field == "custom_fields.internal_code"
    conversation.create_ticket(
        world.deps,
        ALICE,
        subject="s",
        body="b",
        requester=DANA.email,
        custom_fields={"internal_code": "7"},
    )


def test_the_portal_form_lists_customer_fields_in_document_order_with_labels() -> None:
    world = World()
    assert fields.portal_form(world.deps) == []
    world.apply_config("fields", FIELDS)
    form = fields.portal_form(world.deps)
    assert [(f.key, dict(f.labels), "customers" in f.required_for) for f in form] == [
        ("contract", {"en": "Contract", "el": "Σύμβαση"}, True),
        ("plan", {}, False),
    ]


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (
            ("customer_visible: true\n    required: [customers]", "required: [customers]"),
            "fields[0].required",
        ),
        (("required: [agents]", "required: [managers]"), "fields[1].required[0]"),
        (
            ("labels: {en: Contract, el: Σύμβαση}", "labels: {english: Contract}"),
            "fields[0].labels",
        ),
    ],
)
def test_a_bad_required_or_label_is_refused_at_its_key(change: tuple[str, str], where: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        config_admin.validate_config("fields", FIELDS.replace(*change, 1))
    assert refused.value.field == where


def test_a_disabled_agent_is_offered_in_no_picker_but_keeps_their_tickets() -> None:
    from tessera.identity import staff
    from tessera.workspace import team

    # Given two agents in the groups document, with accounts, one ticket assigned to Bahram
    world = World()
    world.apply_config("groups", GROUPS)
    for email in ("alice@example.com", "bahram@example.com"):
        world.staff.invite(email, "agents")
    ticket = conversation.create_ticket(world.deps, DANA, subject="Printer", body="It jams")
    conversation.update(
        world.deps, ADMIN, ticket.id, {"assignee": "bahram@example.com"}, expected_version=None
    )
    # When an admin disables Bahram
    staff.set_enabled(world.deps, ADMIN, "bahram@example.com", False)
    # Then the pickers offer Alice only, in the agents and in their group's members
    found = team.workspace(world.deps, ALICE)
    assert [a.email for a in found.agents] == ["alice@example.com"]
    assert {g.name: g.members for g in found.groups}["support"] == ()
    # And his ticket still names him
    assert world.tickets.get(ticket.id).assignee == "bahram@example.com"
    # And enabled again, he is offered again
    staff.set_enabled(world.deps, ADMIN, "bahram@example.com", True)
    assert "bahram@example.com" in [a.email for a in team.workspace(world.deps, ALICE).agents]


def test_an_invitation_is_resent_only_before_the_first_sign_in_and_audited() -> None:
    import dataclasses

    from tessera.errors import Conflict
    from tessera.identity import staff

    world = World()
    staff.add_staff(world.deps, ADMIN, "New@Example.com", "agents")
    # When an admin resends the invitation, it is mailed again and on the log
    staff.resend_invitation(world.deps, ADMIN, "new@example.com")
    assert world.staff.invitations == ["new@example.com", "new@example.com"]
    assert audit.search(world.deps, ADMIN)[0].action == "account.invitation_resent"
    # And agents may not; an unknown address is not found
    with pytest.raises(Forbidden):
        staff.resend_invitation(world.deps, ALICE, "new@example.com")
    with pytest.raises(NotFound):
        staff.resend_invitation(world.deps, ADMIN, "nobody@example.com")
    # And once they chose their password there is nothing to resend
    account = world.staff.accounts["new@example.com"]
    world.staff.accounts["new@example.com"] = dataclasses.replace(account, status="CONFIRMED")
    with pytest.raises(Conflict):
        staff.resend_invitation(world.deps, ADMIN, "new@example.com")


def test_an_admin_acting_on_their_own_account_is_told_in_a_sentence() -> None:
    from tessera.identity import staff

    world = World()
    world.staff.invite(ADMIN.email, "admins")
    with pytest.raises(ValidationFailed) as disabling:
        staff.set_enabled(world.deps, ADMIN, ADMIN.email, False)
    with pytest.raises(ValidationFailed) as demoting:
        staff.change_group(world.deps, ADMIN, ADMIN.email, "agents")
    # The console shows the problem alone (no "enabled: " in front): it must read as a sentence
    assert (disabling.value.field, disabling.value.problem) == (
        "enabled",
        "You cannot disable your own account.",
    )
    assert demoting.value.problem == "You cannot take your own admin role away."
