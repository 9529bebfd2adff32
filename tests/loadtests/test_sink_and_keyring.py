"""The HTTPS sink records raw bytes under the kit CA; keyrings read from files and never show keys in clear."""

import json
import ssl

import httpx
import pytest

from loadtests.keyring import KeySpec, read_keyring, redact_key
from fiwano_conformance.shared.kit_ca import CA_FILE_NAME, ensure_ca
from loadtests.sink import Sink, SinkRecord


def test_sink_records_raw_bytes_over_tls_trusting_the_kit_ca(tmp_path):
    sink = Sink(tmp_path / "ca").start()
    try:
        context = ssl.create_default_context(cafile=str(tmp_path / "ca" / CA_FILE_NAME))
        with httpx.Client(verify=context) as client:
            body = b'{"event":"message.received","x":"\\u00e9"}'
            ok = client.post(f"{sink.url}/hooks/c1", content=body, headers={"X-Webhook-Signature": "sha256=ab"})
            other = client.post(f"{sink.url}/elsewhere", content=b"{}")
        assert (ok.status_code, other.status_code) == (200, 404)
        first = sink.records()[0]
        assert first.body == body and first.path == "/hooks/c1"
        assert first.headers["x-webhook-signature"] == "sha256=ab"
        assert first.answered >= first.arrived
        sink.write_jsonl(tmp_path / "sink.jsonl")
        lines = (tmp_path / "sink.jsonl").read_text().splitlines()
        assert SinkRecord.from_json(json.loads(lines[0])) == first
    finally:
        sink.stop()


def test_kit_ca_is_reused_so_a_running_target_keeps_trusting_it(tmp_path):
    first = ensure_ca(tmp_path)
    again = ensure_ca(tmp_path)
    assert first.cert_pem.bytes() == again.cert_pem.bytes()
    assert (tmp_path / "kit-ca.key").stat().st_mode & 0o077 == 0


def test_non_utf8_bodies_survive_the_jsonl(tmp_path):
    record = SinkRecord(0, "/hooks/c", {}, b"\xff\xfe", 1.0, 1.0, 200)
    assert SinkRecord.from_json(json.loads(json.dumps(record.as_json()))) == record


def test_keyring_formats(tmp_path):
    text = tmp_path / "keys.txt"
    text.write_text("# comment\nmip_live_aaaaaaaaaaaaaaaaaaaa\n\nmip_live_bbbbbbbbbbbbbbbbbbbb\n")
    ring = read_keyring(text, "run")
    assert [k.index for k in ring.keys] == [0, 1] and not ring.keys[0].channels
    data = {"keys": [{"api_key": "mip_live_cccccccccccccccccccc",
                      "channels": [{"channel_id": "ch", "channel_type": "whatsapp", "recipient": "1555",
                                    "webhook_secret": "s"}]}]}
    as_json = tmp_path / "keys.json"
    as_json.write_text(json.dumps(data))
    ring = read_keyring(as_json, "run")
    assert ring.keys[0].sendable() and ring.secrets_by_channel() == {"ch": "s"}
    out = tmp_path / "saved" / "ring.json"
    ring.keys[0].prior_requests.append([1.0, 1.1, 200])
    ring.save(out)
    assert out.stat().st_mode & 0o077 == 0
    again = read_keyring(out, "other").keys[0]
    assert again.api_key == "mip_live_cccccccccccccccccccc" and again.prior_requests == []


def test_keys_are_redacted_in_repr_and_reports():
    key = KeySpec(index=0, api_key="mip_live_0123456789abcdefXYZW")
    assert "0123456789" not in repr(key)
    assert redact_key(key.api_key) == "mip_live_…XYZW" and key.redacted() == "mip_live_…XYZW"
    assert redact_key("short") == "…"


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_a_bare_list_is_accepted(tmp_path, suffix):
    path = tmp_path / f"keys{suffix}"
    path.write_text(json.dumps([{"api_key": "mip_live_dddddddddddddddddddd"}]))
    assert read_keyring(path, "r").keys[0].index == 0
