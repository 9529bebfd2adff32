"""Issue 18 row 9: the journal is bounded in bytes. Large bodies to any Graph path used to be kept whole
(RSS 62 MB -> 2.26 GB, 1.28 GB held afterwards); now a body is cut with its size and SHA-256 kept, and the
oldest entries go once the byte cap is reached."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient

from simulator.app import create_app
from simulator.journal import BODY_KEEP_CHARS, Journal
from simulator.settings import SimulatorSettings


def _entry(journal: Journal, raw: bytes) -> None:
    journal.append(world_id="w", method="POST", path="/v21.0/1/messages", query={}, headers={}, raw_body=raw,
                   json=None, status=400, response={"error": {"code": 100}}, virtual_time=1.0, real_time=1.0)


def test_row9_large_graph_bodies_are_cut_with_size_and_hash():
    app = create_app(SimulatorSettings(app_secret="s", verify_token="v"))
    with TestClient(app) as client:
        world = client.post("/_sim/worlds", json={"assets": [{"channel": "whatsapp"}]}).json()
        asset = world["assets"][0]
        body = b'{"messaging_product": "whatsapp", "to": "1", "type": "text", "text": {"body": "' + b"x" * (
            3 * 1024 * 1024) + b'"}}'
        for path in (f"/v21.0/{asset['asset_id']}/messages", f"/v21.0/{asset['asset_id']}/media", "/v21.0/any/path"):
            response = client.post(path, content=body, headers={"authorization": f"Bearer {asset['access_token']}",
                                                                "content-type": "application/json"})
            assert response.status_code < 500
        entries = app.state.store.journal.entries()
        assert len(entries) == 3
        for entry in entries:
            assert len(entry.body) == BODY_KEEP_CHARS and entry.json is None
            assert entry.body_size == len(body)
            assert entry.body_sha256 == hashlib.sha256(body).hexdigest()
        small = client.post(f"/v21.0/{asset['asset_id']}/messages", json={"messaging_product": "whatsapp"},
                            headers={"authorization": f"Bearer {asset['access_token']}"})
        assert small.status_code == 400
        last = app.state.store.journal.entries()[-1]
        assert last.json == {"messaging_product": "whatsapp"} and last.body_sha256 is None
        assert last.body_size == len(last.body)


def test_row9_journal_stays_under_its_byte_cap():
    journal = Journal(max_entries=1_000_000, max_bytes=2 * 1024 * 1024)
    for _ in range(400):  # 400 x 1 MB bodies
        _entry(journal, b"y" * (1024 * 1024))
    assert journal.bytes <= journal.max_bytes
    kept = journal.entries()
    assert 0 < len(kept) < 400
    assert kept[-1].seq == 400  # the newest are kept


def test_row9_oversized_response_is_summarised():
    journal = Journal()
    journal.append(world_id=None, method="GET", path="/x", query={}, headers={}, body="", json=None, status=200,
                   response={"data": ["z" * 200_000]}, virtual_time=0.0, real_time=0.0)
    (entry,) = journal.entries()
    assert isinstance(entry.response, str) and "sha256" in entry.response and len(entry.response) < 200
