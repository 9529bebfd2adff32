"""contract/webhooks/: valid JSON Schemas (2020-12); examples pass; broken payloads are rejected."""

from __future__ import annotations

import copy
import json

import pytest
from jsonschema import Draft202012Validator

import contract

EXAMPLES = sorted(contract.WEBHOOK_EXAMPLES_DIR.glob("*.json"))
EXPECTED_SCHEMAS = {"envelope", "event", "media", "status", "message.received", "message.sent",
                    "message.delivered", "message.read", "message.failed"}


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(contract.load_webhook_schemas()[name], registry=contract.webhook_schema_registry())


def load(name: str) -> dict:
    return json.loads((contract.WEBHOOK_EXAMPLES_DIR / f"{name}.json").read_text(encoding="utf-8"))


def test_every_schema_is_valid_2020_12():
    schemas = contract.load_webhook_schemas()
    assert set(schemas) == EXPECTED_SCHEMAS
    ids = set()
    for name, schema in schemas.items():
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema", name
        Draft202012Validator.check_schema(schema)
        assert schema["$id"].endswith(f"/{name}.schema.json")
        ids.add(schema["$id"])
    assert len(ids) == len(schemas)


def test_all_refs_resolve():
    """Validating every example through every schema walks every $ref; a dangling one raises."""
    for path in EXAMPLES:
        body = json.loads(path.read_text(encoding="utf-8"))
        for name in ("envelope", "event", body["event"]):
            list(validator(name).iter_errors(body))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_validates(path):
    body = json.loads(path.read_text(encoding="utf-8"))
    for name in ("event", body["event"]):
        errors = [e.message for e in validator(name).iter_errors(body)]
        assert not errors, f"{path.name} vs {name}: {errors}"


def test_examples_cover_every_event_and_kind():
    bodies = [json.loads(p.read_text(encoding="utf-8")) for p in EXAMPLES]
    assert {b["event"] for b in bodies} == set(contract.WEBHOOK_EVENTS)
    kinds = {b["data"]["media"]["kind"] for b in bodies if "media" in b["data"]}
    assert kinds == {"image", "audio", "voice", "video", "document", "sticker"}
    unsupported = [b["data"] for b in bodies if b["data"].get("type") == "unsupported"]
    assert any("upgrade_required" in d for d in unsupported) and any("upgrade_required" not in d for d in unsupported)
    assert {b["channel_type"] for b in bodies} == set(contract.CHANNEL_TYPES)


def _set(body, path, value):
    node = body
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _drop(body, path):
    node = body
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]


# (example, mutation, description): each must make the payload invalid.
BROKEN = [
    ("message.received.whatsapp-text", ("drop", ("event",)), "missing event"),
    ("message.received.whatsapp-text", ("drop", ("channel_id",)), "missing channel_id"),
    ("message.received.whatsapp-text", ("drop", ("timestamp",)), "missing timestamp"),
    ("message.received.whatsapp-text", ("drop", ("data",)), "missing data"),
    ("message.received.whatsapp-text", ("drop", ("data", "message_id")), "missing data.message_id"),
    ("message.received.whatsapp-text", ("drop", ("data", "from")), "missing data.from"),
    ("message.received.whatsapp-text", ("drop", ("data", "from_name")), "missing data.from_name"),
    ("message.received.whatsapp-text", ("drop", ("data", "text")), "text message without text"),
    ("message.received.whatsapp-text", ("set", ("data", "text"), 42), "text of wrong type"),
    ("message.received.whatsapp-text", ("set", ("channel_type",), "telegram"), "unknown channel_type"),
    ("message.received.whatsapp-text", ("set", ("event",), ""), "empty event"),
    ("message.received.whatsapp-text", ("set", ("timestamp",), "2025-01-15 10:30"), "timestamp not ISO-8601"),
    ("message.received.whatsapp-text", ("set", ("timestamp",), "2025-01-15T10:30:00+02:00"), "timestamp not UTC"),
    ("message.received.whatsapp-text", ("set", ("data", "from"), "+1234567890"), "WhatsApp from with +"),
    ("message.received.whatsapp-text", ("set", ("data", "from_name"), None), "WhatsApp from_name null"),
    ("message.received.whatsapp-text", ("set", ("data", "type"), "location"), "unknown data.type"),
    ("message.received.instagram-text", ("set", ("data", "from_name"), "John"), "Instagram from_name not null"),
    ("message.received.facebook-text", ("set", ("data", "from_name"), "John"), "Facebook from_name not null"),
    ("message.received.whatsapp-image", ("set", ("data", "media", "kind"), "gif"), "unknown media kind"),
    ("message.received.whatsapp-image", ("set", ("data", "media", "kind"), "video"), "kind not matching type"),
    ("message.received.whatsapp-image", ("drop", ("data", "media")), "media message without media"),
    ("message.received.whatsapp-image", ("drop", ("data", "media", "media_id")), "missing media_id"),
    ("message.received.whatsapp-image", ("drop", ("data", "media", "expires_at")), "missing expires_at"),
    ("message.received.whatsapp-image", ("set", ("data", "media", "file_size"), "245760"), "file_size as string"),
    ("message.received.whatsapp-image", ("set", ("data", "media", "file_size"), -1), "negative file_size"),
    ("message.received.whatsapp-image", ("set", ("data", "media", "download_url"), None), "download_url null without error"),
    ("message.received.whatsapp-image", ("set", ("data", "media", "error"), "boom"), "error with a download_url"),
    ("message.received.whatsapp-image", ("set", ("data", "media", "filename"), "a.jpg"), "filename on an image"),
    ("message.received.whatsapp-image", ("set", ("data", "media", "duration_ms"), 10), "duration_ms on an image"),
    ("message.received.whatsapp-voice", ("set", ("data", "media", "kind"), "image"), "audio with kind image"),
    ("message.received.whatsapp-image", ("set", ("data", "type"), "file"), "WhatsApp media type file"),
    ("kit.message.received.instagram-image", ("set", ("data", "type"), "sticker"), "Instagram media type sticker"),
    ("kit.message.received.instagram-image", ("set", ("data", "media", "sha256"), "abc"), "sha256 on Instagram"),
    ("message.received.whatsapp-unsupported-upgrade", ("set", ("data", "upgrade_required"), "starter"), "upgrade_required not pro"),
    ("message.received.whatsapp-unsupported-upgrade", ("drop", ("data", "unsupported_type")), "missing unsupported_type"),
    ("kit.message.received.whatsapp-unsupported-location", ("set", ("data", "upgrade_required"), "pro"), "upgrade for a non-media type"),
    ("message.read.instagram", ("set", ("data", "status"), "delivered"), "status not matching event"),
    ("message.read.instagram", ("set", ("data", "message_id"), "mid.xxx"), "status message_id not a UUID"),
    ("message.read.instagram", ("drop", ("data", "recipient")), "missing recipient"),
    ("message.read.instagram", ("set", ("data", "recipient"), 6543217890123456), "recipient as number"),
    ("kit.message.sent.whatsapp", ("set", ("channel_type",), "instagram"), "message.sent on Instagram"),
    ("message.failed.whatsapp", ("set", ("channel_type",), "facebook"), "message.failed on Facebook"),
    ("message.failed.whatsapp", ("drop", ("data", "errors")), "failed without errors"),
    ("message.failed.whatsapp", ("set", ("data", "errors"), [{"code": "131047", "title": "x"}]), "error code as string"),
    ("message.failed.whatsapp", ("drop", ("data", "error")), "failed without error"),
]


@pytest.mark.parametrize(("example", "mutation", "what"), BROKEN, ids=[b[2] for b in BROKEN])
def test_broken_payload_is_rejected(example, mutation, what):
    body = copy.deepcopy(load(example))
    if mutation[0] == "drop":
        _drop(body, mutation[1])
    else:
        _set(body, mutation[1], mutation[2])
    errors = list(validator("event").iter_errors(body))
    assert errors, f"{what}: accepted by event.schema.json"


@pytest.mark.parametrize("payload", [None, [], "x", 1, {}], ids=repr)
def test_non_objects_rejected(payload):
    assert list(validator("event").iter_errors(payload))


def test_readings_are_accepted():
    """Both readings of RELAY-MEDIA-KIND validate on Instagram/Facebook; "file" stays invalid on WhatsApp."""
    body = load("kit.message.received.facebook-file")
    assert body["data"]["media"]["kind"] == "document"
    body["data"]["media"]["kind"] = "file"
    assert not list(validator("event").iter_errors(body))
    wa = load("kit.message.received.whatsapp-audio")
    wa["data"]["media"]["kind"] = "file"
    assert list(validator("event").iter_errors(wa))


@pytest.mark.parametrize(("mutation", "what"), [
    (("set", ("id",), "evt_1"), "an extra top-level field (RELAY-ENVELOPE reading additive)"),
    (("set", ("data", "referral"), {"source": "ad"}), "an extra data field"),
    (("set", ("event",), "conversation.referral"), "an event type v1 does not know"),
], ids=["extra top-level field", "extra data field", "unknown event type"])
def test_the_schemas_are_open_to_additive_change(mutation, what):
    """Every change after v1 is additive (the Fiwano changelog): unknown fields and event types validate."""
    body = copy.deepcopy(load("message.received.whatsapp-text"))
    _set(body, mutation[1], mutation[2])
    assert not list(validator("event").iter_errors(body)), what
