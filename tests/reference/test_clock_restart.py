"""Test mode: the harness clock offset survives a restart, so virtual time never jumps back after a crash.

Before the fix a restarted process started at offset 0: retries and deadlines stored in the database before
the crash (in virtual time) moved back into the future by the whole offset, and `/harness/clock` went back.
"""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient

from reference.app import create_app
from tests.reference.conftest import Ctx, make_settings
from tests.reference.fake_meta import FakeMetaTransport, wa_text
from tests.reference.test_relay import _setup


def test_clock_offset_survives_a_restart(tmp_path, fake_meta, sink):
    def start():
        return create_app(make_settings(tmp_path), meta_transport=FakeMetaTransport(fake_meta),
                          webhook_transport=httpx.MockTransport(sink.handler))

    with TestClient(start()) as client:
        ctx = Ctx(client, fake_meta, sink)
        _setup(ctx)
        ctx.advance(1000)
        sink.script = [500]
        ctx.meta_webhook(wa_text("1001", "15551234", "after a jump"))
        assert len(sink.requests) == 1  # failed; the retry is due 30 s later in virtual time
        before = client.get("/harness/clock").json()
    assert before["offset_seconds"] == 1000
    with TestClient(start()) as client:
        ctx = Ctx(client, fake_meta, sink)
        after = client.get("/harness/clock").json()
        assert after["offset_seconds"] == 1000 and after["epoch"] >= before["epoch"]
        ctx.advance(31)  # as if no restart had happened
        assert len(sink.requests) == 2
        assert client.get("/harness/clock").json()["offset_seconds"] == 1031


def test_a_new_database_starts_at_offset_zero(tmp_path):
    with TestClient(create_app(make_settings(tmp_path))) as client:
        assert client.get("/harness/clock").json()["offset_seconds"] == 0
