"""Custom field definitions: which custom fields tickets may carry, of what type, and which of
them customers may set (``infra/config/fields.yaml``, kind ``fields``)::

    fields:
      - key: product
        type: choice            # text | number | choice
        choices: [Web app, Mobile app, Billing]
        customer_visible: true
      - key: order_number
        type: text
        max_length: 64
        customer_visible: true
        required: [customers]   # who must fill it in when opening a ticket: customers, agents
        labels: {en: Order number, fa: شمارهٔ سفارش, el: Αριθμός παραγγελίας}

The document's order is the order forms show the fields in. A field required for customers
must be customer-visible; the portal's form (``GET /api/ticket-form``) shows the customer-visible
ones with their labels and marks the required ones.

With no ``fields`` document applied, tickets take any custom fields (strings), as before.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from tessera.config import Document
from tessera.errors import ValidationFailed
from tessera.ports import Dependencies

TYPES = ("text", "number", "choice")
REQUIRED_FOR = ("customers", "agents")


@dataclass(frozen=True)
class Field:
    key: str
    type: str = "text"
    choices: tuple[str, ...] = ()
    max_length: int = 1024
    customer_visible: bool = False
    required_for: frozenset[str] = frozenset()  # customers, agents: who must fill it in
    labels: Mapping[str, str] = field(default_factory=dict)  # language -> label


@dataclass(frozen=True)
class Fields:
    by_key: Mapping[str, Field]

    @property
    def customer_visible(self) -> frozenset[str]:
        """The fields customers may set, and so see on their tickets."""
        return frozenset(key for key, spec in self.by_key.items() if spec.customer_visible)

    def check(self, values: Mapping[str, str], *, by_customer: bool) -> None:
        """Refuse a value for an undefined field, one a customer may not set, or one that does
        not fit its type; ValidationFailed names ``custom_fields.<key>``."""
        for key, value in values.items():
            name = f"custom_fields.{key}"
            spec = self.by_key.get(key)
            if spec is None or (by_customer and not spec.customer_visible):
                raise ValidationFailed(name, "is not a field that can be set here")
            if len(value) > spec.max_length:
                raise ValidationFailed(name, f"is longer than {spec.max_length} characters")
            if spec.type == "number" and not re.fullmatch(r"-?\d+(\.\d+)?", value):
                raise ValidationFailed(name, "must be a number")
            if spec.type == "choice" and value not in spec.choices:
                raise ValidationFailed(name, f"must be one of {', '.join(spec.choices)}")

    def check_required(self, values: Mapping[str, str], *, by_customer: bool) -> None:
        """Refuse a new ticket without a field required of who opens it (customers or agents);
        ValidationFailed names ``custom_fields.<key>``."""
        who = "customers" if by_customer else "agents"
        for key, spec in self.by_key.items():
            if who in spec.required_for and not values.get(key, "").strip():
                raise ValidationFailed(f"custom_fields.{key}", "is required")


def parse_fields(doc: Document) -> Fields:
    doc.mapping((), required=["fields"])
    found: dict[str, Field] = {}
    for i, _ in enumerate(doc.sequence(("fields",))):
        path = ("fields", i)
        entry = doc.mapping(
            path,
            required=["key"],
            optional=["type", "choices", "max_length", "customer_visible", "required", "labels"],
        )
        key = doc.string((*path, "key"))
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", key):
            raise doc.error((*path, "key"), "must be lower-case letters, digits and _")
        if key in found:
            raise doc.error((*path, "key"), f"{key} is defined twice")
        kind = doc.string((*path, "type"), choices=TYPES) if "type" in entry else "text"
        choices: tuple[str, ...] = ()
        if kind == "choice":
            if "choices" not in entry:
                raise doc.error(path, "a choice field needs 'choices'")
            choices = tuple(str(c) for c in doc.sequence((*path, "choices")))
            if not choices:
                raise doc.error((*path, "choices"), "must list at least one choice")
        elif "choices" in entry:
            raise doc.error((*path, "choices"), "only a choice field has choices")
        max_length = entry.get("max_length", 1024)
        if not isinstance(max_length, int) or isinstance(max_length, bool) or max_length < 1:
            raise doc.error((*path, "max_length"), "must be a whole number of 1 or more")
        visible = entry.get("customer_visible", False)
        if not isinstance(visible, bool):
            raise doc.error((*path, "customer_visible"), "must be true or false")
        required: list[str] = []
        if "required" in entry:
            for j, _ in enumerate(doc.sequence((*path, "required"))):
                required.append(doc.string((*path, "required", j), choices=REQUIRED_FOR))
        if "customers" in required and not visible:
            raise doc.error(
                (*path, "required"), "a field customers must fill needs customer_visible"
            )
        labels: dict[str, str] = {}
        if "labels" in entry:
            given = doc.at((*path, "labels"))
            if not isinstance(given, Mapping):
                raise doc.error((*path, "labels"), "must map languages to labels, e.g. {en: Plan}")
            for language in given:
                if not re.fullmatch(r"[a-z]{2,3}", str(language)):
                    raise doc.error((*path, "labels"), f"{language} is not a language code like en")
                labels[str(language)] = doc.string((*path, "labels", language))
        found[key] = Field(key, kind, choices, max_length, visible, frozenset(required), labels)
    return Fields(found)


def portal_form(deps: Dependencies) -> list[Field]:
    """The fields the portal's new-ticket form shows: the customer-visible ones, in the
    document's order (none without a ``fields`` document). Public: no value is in them."""
    definitions: Fields | None = deps.config().get("fields")
    if definitions is None:
        return []
    return [spec for spec in definitions.by_key.values() if spec.customer_visible]
