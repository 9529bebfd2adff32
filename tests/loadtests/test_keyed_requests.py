"""A keyed user's request path (``loadtests.users.KeyedUser._request`` over ``loadtests.api_client``, which
replaced FastHttpUser's client for issue 17): what reaches the target, what the ledger keeps, and what Locust's
statistics say, for every kind of answer.

It runs in a child process: the users import Locust, which monkey-patches the standard library with gevent.
The target is a gevent server in that process that answers from a script, one answer per request.
"""

import json
import subprocess
import sys

# The start of each child script: the imports, and the target and run of one key's users
KEYED_USER = r'''
import json
import gevent
from gevent.server import StreamServer

import locust  # noqa: F401  (gevent's patching first, as in a Locust process)
from locust.env import Environment

from loadtests import runtime
from loadtests.coordination import Link
from loadtests.keyclaims import Coordinator
from loadtests.keyring import ChannelSpec, KeySpec, Keyring
from loadtests.users import ReadUser, SendUser


def keyed_run(handle, index, user_classes, base=""):
    """Start the target (a gevent server answering with ``handle``) and a run of key ``index``'s users against it."""
    server = StreamServer(("127.0.0.1", 0), handle)
    server.start()
    channel = ChannelSpec(channel_id="ch_wa", channel_type="whatsapp", recipient="15550001", world_id="w",
                          asset_id="a")
    keyring = Keyring(run_id="r1", keys=[KeySpec(index=index, api_key=f"fw_live_key{index}", channels=[channel])])
    mix = {"send_text": 1.0, "send_media": 0.0, "send_template": 0.0, "read_channels": 0.0, "read_templates": 0.0}
    settings = {"run_id": "r1", "interval": 1e-9, "spread": 1, "mix": mix, "template": {"name": "t", "language": "en"}}
    environment = Environment(user_classes=user_classes, host=f"http://127.0.0.1:{server.server_port}{base}")
    environment.create_local_runner()
    coordinator = Coordinator(keyring, settings)
    runtime.set_link(Link(environment, coordinator))
    SendUser.host = environment.host
    return environment, coordinator
'''

SCRIPT = KEYED_USER + r'''
ANSWERS = [(200, b'{"success":true,"message_id":"m1"}'), (200, b'{"success":true,"status":"queued"}'),
           (200, b'{"success":false,"error":{"code":"x"}}'), (429, b'{"detail":"rate limited"}'),
           (500, b'not json'), "close", (200, b'[1]'), "hang", (200, b'{"channels":[]}')]
seen = []


def handle(sock, _address):
    stream = sock.makefile("rb")
    while True:
        line = stream.readline()
        if not line:
            return
        headers = {}
        while True:
            header = stream.readline()
            if header in (b"\r\n", b""):
                break
            name, _, value = header.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        body = stream.read(int(headers.get("content-length", 0)))
        seen.append({"request": line.decode().split()[:2], "key": headers.get("x-api-key"),
                     "type": headers.get("content-type"), "body": json.loads(body) if body else None})
        answer = ANSWERS[len(seen) - 1]
        if answer == "close":
            sock.close()
            return
        if answer == "hang":
            gevent.sleep(30)
            return
        status, payload = answer
        sock.sendall(b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                     % (status, len(payload)) + payload)


environment, coordinator = keyed_run(handle, 7, [SendUser, ReadUser], "/base")
user = SendUser(environment)
user.on_start()
for _ in range(7):
    user.act()
cut_off = gevent.spawn(user.act)
gevent.sleep(0.3)
cut_off.kill()                   # the end of the run, under a request
user.read_channels()
user.on_stop()
stats = environment.stats
print(json.dumps({
    "seen": seen,
    "rows": [[r.seq, r.op.name, r.status, r.detail.name, r.sent <= r.done] for r in coordinator.ledger.rows(7)],
    "stats": {f"{m} {n}": [e.num_requests, e.num_failures] for (n, m), e in stats.entries.items()},
    "errors": sorted(str(e.error) for e in stats.errors.values()),
    "released": coordinator.next_seq,
}))
'''


def test_answers_reach_the_ledger_and_locust_statistics_as_before():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    # every request went to the base URL's path with the key, sends as JSON with the run's token
    assert [s["request"] for s in out["seen"]] == [["POST", "/base/api/v1/messages/send"]] * 8 + [
        ["GET", "/base/api/v1/channels"]]
    assert {s["key"] for s in out["seen"]} == {"fw_live_key7"}
    assert [s["body"] for s in out["seen"][:8]] == [
        {"channel_id": "ch_wa", "recipient": "15550001", "text": f"fiwano-load r1 k7 s{seq}"} for seq in range(8)]
    assert {s["type"] for s in out["seen"][:8]} == {"application/json"} and out["seen"][8]["body"] is None
    # the ledger: status and detail per answer; no answer is 0, a request cut off by the end of the run -1
    assert out["rows"] == [[0, "SEND_TEXT", 200, "SENT", True], [1, "SEND_TEXT", 200, "QUEUED", True],
                           [2, "SEND_TEXT", 200, "FAILED", True], [3, "SEND_TEXT", 429, "NONE", True],
                           [4, "SEND_TEXT", 500, "NONE", True], [5, "SEND_TEXT", 0, "NONE", True],
                           [6, "SEND_TEXT", 200, "NONE", True], [7, "SEND_TEXT", -1, "NONE", True],
                           [8, "READ_CHANNELS", 200, "NONE", True]]
    # Locust: a 429 is a success, a 500 and no answer are failures; the cut-off request is not reported
    assert out["stats"] == {"POST send_text": [7, 2], "GET read_channels": [1, 0]}
    assert out["errors"] == ["HTTP 500", "no answer"]
    assert out["released"] == {"7": 9}


HTTPS_SCRIPT = r'''
import sys
from pathlib import Path

import locust  # noqa: F401  (gevent's patching first, as in a Locust process)

from loadtests.api_client import ApiClient
from loadtests.sink import Sink

sink = Sink(Path(sys.argv[1])).start()   # HTTPS with a certificate of a CA this process does not trust
client = ApiClient(sink.url + "/hooks", {"X-API-Key": "fw_live_k"})
print(client.request("POST", "/ch_1", b'{"a":1}'), client.request("POST", "/ch_2", b"{}"))
print([(r.path, r.headers.get("x-api-key"), r.headers.get("content-type"), r.body) for r in sink.records()])
client.close()
sink.stop()
'''


def test_an_https_target_is_not_verified_like_fasthttpuser_and_keeps_its_path_prefix(tmp_path):
    result = subprocess.run([sys.executable, "-c", HTTPS_SCRIPT, str(tmp_path)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr[-3000:]
    answers, records = result.stdout.strip().splitlines()[-2:]
    assert answers == "(200, b'{}') (200, b'{}')"
    assert records == ("[('/hooks/ch_1', 'fw_live_k', 'application/json', b'{\"a\":1}'), "
                       "('/hooks/ch_2', 'fw_live_k', 'application/json', b'{}')]")


TIMEOUT_SCRIPT = KEYED_USER + r'''
connections, requests = [], []
held = []   # as in a Locust process with ~1,000 users, every socket below gets a descriptor above 1024
while not held or held[-1].fileno() <= 1024:
    held.append(open("/dev/null"))


def handle(sock, address):
    connections.append(address[1])
    stream = sock.makefile("rb")
    while True:
        line = stream.readline()
        if not line:
            return
        length = 0
        while (header := stream.readline()) not in (b"\r\n", b""):
            name, _, value = header.decode().partition(":")
            length = int(value) if name.strip().lower() == "content-length" else length
        stream.read(length)
        requests.append(address[1])
        if len(requests) == 1:   # the first request is read and never answered: the user's network timeout
            gevent.sleep(5)
            return
        payload = b'{"success":true,"message_id":"m"}'
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                     % len(payload) + payload)


environment, coordinator = keyed_run(handle, 3, [SendUser])
SendUser.network_timeout = 0.2
user = SendUser(environment)
user.on_start()
for _ in range(3):
    user.act()
user.on_stop()
stats = environment.stats
out = {
    "rows": [[r.seq, r.status, r.detail.name] for r in coordinator.ledger.rows(3)],
    "stats": {f"{m} {n}": [e.num_requests, e.num_failures] for (n, m), e in stats.entries.items()},
    "errors": sorted(str(e.error) for e in stats.errors.values()),
    "connections": len(connections), "requests_per_connection": [requests.count(c) for c in connections],
}
print(json.dumps(out))
'''


def test_a_request_without_an_answer_in_time_is_a_failure_and_the_user_goes_on_on_a_new_connection():
    # issue 17: users whose first request timed out sent nothing more in a 1,000-key run (docs/benchmarks.md)
    result = subprocess.run([sys.executable, "-c", TIMEOUT_SCRIPT], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["rows"] == [[0, 0, "NONE"], [1, 200, "SENT"], [2, 200, "SENT"]]
    assert out["stats"] == {"POST send_text": [3, 1]}
    assert out["errors"] == ["no answer"]
    # the timed-out connection is dropped (its late answer would be read as the next one's), the rest share one,
    # although its descriptor is above 1024 (geventhttpclient's own check, select(), took it for dead)
    assert out["connections"] == 2 and out["requests_per_connection"] == [1, 2]
