"""EventBridge: ticket lifecycle events on the bus, for integrations
(:class:`tessera.ports.EventPublisher`)."""

from __future__ import annotations

import json
from typing import Any

from tessera.adapters.clients import client


class EventBridgePublisher:
    def __init__(self, bus_name: str) -> None:
        self.bus_name = bus_name

    def publish(self, detail_type: str, detail: dict[str, Any]) -> None:
        response = client("events").put_events(
            Entries=[
                {
                    "EventBusName": self.bus_name,
                    "Source": "tessera",
                    "DetailType": detail_type,
                    "Detail": json.dumps(detail, default=str),
                }
            ]
        )
        if response.get("FailedEntryCount"):
            raise RuntimeError(f"EventBridge refused {detail_type}: {response['Entries']}")
