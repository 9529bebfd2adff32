"""Echoes of the page's own messages (Meta's ``is_echo`` on Messenger and Instagram) are relayed as
message.received, as if the user had written them: the parser reads an echo like a user's message."""

from __future__ import annotations

import copy
from typing import Any

REQUIREMENTS = ("RELAY-RECEIVED-USERS-ONLY",)


def _as_user_message(event: dict[str, Any]) -> None:
    message = event.get("message")
    if isinstance(message, dict) and message.pop("is_echo", None):
        event["sender"], event["recipient"] = event.get("recipient"), event.get("sender")


def apply() -> None:
    from tests.mutants.seams import wrap

    import reference.inbound

    def make(parse_page: Any) -> Any:
        def parse_echoes_too(payload: dict[str, Any], channel_type: str, **kwargs: Any) -> Any:
            payload = copy.deepcopy(payload)
            for entry in payload.get("entry") or []:
                for event in entry.get("messaging") or [] if isinstance(entry, dict) else []:
                    if isinstance(event, dict):
                        _as_user_message(event)
            return parse_page(payload, channel_type, **kwargs)
        return parse_echoes_too

    wrap(reference.inbound, "parse_page", make)
