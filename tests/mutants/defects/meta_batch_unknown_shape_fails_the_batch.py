"""A Meta message of an unknown type, or a known field of an unexpected JSON type, makes the whole batch fail
with a 500: the good entries next to it are never relayed."""

from __future__ import annotations

REQUIREMENTS = ("META-WEBHOOK-HOSTILE-ANSWER", "META-WEBHOOK-HOSTILE-ENTRY-ISOLATED")

KNOWN = {"text", "image", "audio", "video", "document", "sticker", "location", "contacts", "reaction",
         "interactive", "unsupported", "button", "order", "system"}


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.inbound as inbound

    original = inbound.parse_meta_webhook

    def strict(payload, **options):
        for entry in payload.get("entry") or [] if isinstance(payload, dict) else []:
            items = [m for c in entry.get("changes") or [] for m in (c.get("value") or {}).get("messages") or []]
            items += [e.get("message") or {} for e in entry.get("messaging") or []]
            for item in items:
                if "type" in item and item["type"] not in KNOWN:
                    raise KeyError(f"unknown message type {item['type']!r}")
                if "text" in item and not isinstance(item["text"], (str, dict)):
                    raise TypeError("text of an unexpected type")
                if isinstance(item.get("text"), str) and "type" in item:
                    raise TypeError("WhatsApp text that is not an object")
        return original(payload, **options)

    replace_component(inbound, "parse_meta_webhook", strict)
