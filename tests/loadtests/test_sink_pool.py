"""The load run's sink as two processes on one port (SO_REUSEPORT): every webhook is recorded once, by one worker,
and the pool's merged records read exactly like one sink's (arrival order, one sequence, raw bytes)."""

from __future__ import annotations

import json
import ssl
from pathlib import Path

import httpx
import pytest

from fiwano_conformance.shared.kit_ca import CA_FILE_NAME
from loadtests.sink import Sink, SinkRecord
from loadtests.sink_pool import SinkPool, make_sink

SENT = 40


def test_two_workers_share_one_port_and_the_pool_merges_their_records(tmp_path: Path) -> None:
    pool = SinkPool(tmp_path / "ca", 2, tmp_path / "out").start()
    try:
        context = ssl.create_default_context(cafile=str(tmp_path / "ca" / CA_FILE_NAME))
        for number in range(SENT):  # a new connection each: the kernel spreads connections, not requests
            with httpx.Client(verify=context) as client:
                answer = client.post(f"{pool.url}/hooks/c{number % 3}", content=f'{{"n":{number},"x":"\\u00e9"}}',
                                     headers={"X-Webhook-Signature": "sha256=ab"})
                assert answer.status_code == 200
        records = pool.records()
        assert len(records) == SENT == pool.count()
        assert [r.seq for r in records] == list(range(SENT))
        assert [json.loads(r.body)["n"] for r in records] == list(range(SENT))  # sent one after another
        assert all(r.headers["x-webhook-signature"] == "sha256=ab" for r in records)
        per_worker = [len((tmp_path / "out" / "sink-workers" / f"sink-{i}.jsonl").read_text().splitlines())
                      for i in (0, 1)]
        assert sum(per_worker) == SENT and min(per_worker) > 0, per_worker  # both took some: one port, two cores
        pool.write_jsonl(tmp_path / "sink.jsonl")
        merged = [SinkRecord.from_json(json.loads(line)) for line in (tmp_path / "sink.jsonl").read_text().splitlines()]
        assert merged == records
    finally:
        pool.stop()
    assert all(process.poll() is not None for process in pool._processes)


def test_one_worker_is_the_plain_sink_and_a_pool_needs_two(tmp_path: Path) -> None:
    assert isinstance(make_sink(tmp_path / "ca", 1, tmp_path), Sink)
    assert isinstance(make_sink(tmp_path / "ca", 2, tmp_path), SinkPool)
    with pytest.raises(ValueError):
        SinkPool(tmp_path / "ca", 1, tmp_path)
