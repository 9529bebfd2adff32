"""Unit tests of the HTTPS sink: TLS from the kit CA, raw bytes, headers, scripts, bounded waits."""

from __future__ import annotations

import ssl
import threading
import time

import httpx
import pytest

from fiwano_conformance.shared.kit_ca import CA_FILE_NAME
from suites.sink import Drop, Reply, Sink, SinkTimeout, UnexpectedDelivery


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    sink = Sink(tmp_path_factory.mktemp("sink-ca"), default_timeout=5.0, default_quiet=0.2)
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def client(server):
    with httpx.Client(verify=ssl.create_default_context(cafile=str(server.ca_file)), timeout=10) as c:
        yield c


def test_ca_is_written_and_trusted_only_when_given(server, client):
    endpoint = server.endpoint()

    assert server.ca_file.name == CA_FILE_NAME and server.ca_file.read_text().startswith("-----BEGIN CERTIFICATE")
    assert endpoint.url.startswith("https://127.0.0.1:") and "/hooks/" in endpoint.url
    assert client.post(endpoint.url, content=b"{}").status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.post(endpoint.url, content=b"{}", verify=True)  # the system store does not know the kit CA


def test_raw_body_bytes_and_headers_are_kept_exactly(server, client):
    endpoint = server.endpoint()
    raw = b'{ "text":"Ol\\u00e1 \xe2\x9c\x93",\n  "n": 1.0 }'  # odd spacing, escapes and raw UTF-8

    client.post(endpoint.url, content=raw, headers={"X-Webhook-Signature": "sha256=abc",
                                                    "Content-Type": "application/json"})

    [request] = endpoint.wait_for(1, 5)
    assert request.body == raw
    assert request.header("x-webhook-signature") == "sha256=abc"
    assert request.header("Content-Type") == "application/json"
    assert request.method == "POST" and request.path == endpoint.path
    assert request.received_at.tzinfo is not None
    assert request.json() == {"text": "Olá ✓", "n": 1.0}


def test_arrival_times_are_monotonic(server, client):
    endpoint = server.endpoint()

    for n in range(3):
        client.post(endpoint.url, content=str(n).encode())

    times = [r.received_monotonic for r in endpoint.wait_for(3, 5)]
    assert times == sorted(times)
    assert [r.body for r in endpoint.requests] == [b"0", b"1", b"2"]


def test_script_answers_in_order_then_200(server, client):
    endpoint = server.endpoint(503, Reply(201, body=b"created"), Drop())

    first = client.post(endpoint.url, content=b"1")
    second = client.post(endpoint.url, content=b"2")
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(endpoint.url, content=b"3")
    fourth = client.post(endpoint.url, content=b"4")

    assert (first.status_code, second.status_code, second.content, fourth.status_code) == (503, 201, b"created", 200)
    assert [r.answered_with for r in endpoint.requests] == ["503", "201", "drop after 0s", "200"]


def test_script_can_be_replaced_and_delays_the_answer(server, client):
    endpoint = server.endpoint()
    endpoint.script(Reply(204, delay=0.3))

    started = time.monotonic()
    response = client.post(endpoint.url, content=b"x")

    assert response.status_code == 204
    assert time.monotonic() - started >= 0.3
    assert endpoint.requests[0].answered_with == "204 after 0.3s"


def test_wait_for_wakes_up_when_requests_arrive(server, client):
    endpoint = server.endpoint()
    poster = threading.Thread(target=lambda: client.post(endpoint.url, content=b"late"))

    started = time.monotonic()
    poster.start()
    arrived = endpoint.wait_for(1, timeout=5)
    poster.join()

    assert [r.body for r in arrived] == [b"late"]
    assert time.monotonic() - started < 5


def test_wait_for_times_out_with_a_clear_message(server, client):
    endpoint = server.endpoint()
    client.post(endpoint.url, content=b"only one")

    with pytest.raises(SinkTimeout, match=r"RULE-X: expected 2 request\(s\) .* within 0.2s, got 1"):
        endpoint.wait_for(2, timeout=0.2, what="RULE-X")


def test_assert_none_within(server, client):
    quiet, noisy = server.endpoint(), server.endpoint()
    client.post(noisy.url, content=b"unexpected")

    quiet.assert_none_within(0.1)
    noisy.assert_none_within(0.1, already=1)
    with pytest.raises(UnexpectedDelivery, match="RULE-Y: expected no request"):
        noisy.assert_none_within(0.1, what="RULE-Y")


def test_endpoints_are_isolated_and_unknown_paths_404(server, client):
    one, two = server.endpoint(), server.endpoint()
    client.post(one.url, content=b"for one")

    unknown = client.post(server.public_url + "/hooks/not-registered", content=b"?")
    two.close()
    closed = client.post(two.url, content=b"after close")

    assert [r.body for r in one.requests] == [b"for one"]
    assert two.requests == []
    assert unknown.status_code == 404 and closed.status_code == 404
    assert {r.body for r in server.unmatched} >= {b"?", b"after close"}


def test_public_url_can_be_configured(tmp_path):
    sink = Sink(tmp_path, public_url="https://sink.example:8443/")

    assert sink.public_url == "https://sink.example:8443"
    assert sink.public_host == "sink.example"


def test_the_kit_ca_is_reused_from_its_directory(tmp_path):
    with Sink(tmp_path) as first:
        ca_pem = first.ca_file.read_bytes()
        trusted = ssl.create_default_context(cafile=str(first.ca_file))
    with Sink(tmp_path) as second:
        response = httpx.post(second.endpoint().url, content=b"{}", verify=trusted)

    assert second.ca_file.read_bytes() == ca_pem  # a target configured once keeps trusting the sink
    assert response.status_code == 200
    assert oct((tmp_path / "kit-ca.key").stat().st_mode & 0o777) == "0o600"
    assert not list(tmp_path.glob("sink-server-*.pem"))  # leaf keys are removed at stop
