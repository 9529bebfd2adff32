"""Post-run reconciliation of the three sides: what the load users were told (north, the ledger), what the
target asked Meta (south, the simulator's journal) and what reached the customer (east, the sink).

Pure functions over plain data, unit-tested on synthetic data. The invariants (issue 8):

* south: no send rejected with 429 reached Meta (``leaked_to_meta``); every send answered ``success: true``
  without ``queued`` reached Meta (else ``lost_sends``). Sends are matched by a token the load users put into
  every text and caption: ``fiwano-load <run> k<key> s<seq>``.
* east: no inbound message accepted by the target was lost; no webhook delivered twice unless an earlier copy
  failed at the sink (non-2xx, or answered later than the relay timeout), the at-least-once case the
  documentation allows, reported separately; every signature valid; statuses of a message in a legal order.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable

from loadtests.analysis import percentile
from loadtests.ledger import Detail, Row

# In texts and captions: "fiwano-load RUN kK sS"; in media URLs: ".../fiwano-load/RUN/kK/sS.jpg".
TOKEN = re.compile(r"fiwano-load[ /](?P<run>[A-Za-z0-9_-]+)[ /]k(?P<key>\d+)[ /]s(?P<seq>\d+)")
STATUS_RANK = {"sent": 1, "delivered": 2, "read": 3}
MAX_EXAMPLES = 5


def token(run_id: str, key: int, seq: int) -> str:
    return f"fiwano-load {run_id} k{key} s{seq}"


def media_url(run_id: str, key: int, seq: int) -> str:
    """A public HTTPS URL carrying the token (the target must not fetch it; Meta, i.e. the simulator, may)."""
    return f"https://media.fiwano-load.example/fiwano-load/{run_id}/k{key}/s{seq}.jpg"


def _get(obj: Any, name: str, default: Any = None) -> Any:
    return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)


# ---------------------------------------------------------------------------------------------- south
@dataclass
class SouthReport:
    send_calls: int = 0                 # POST .../messages calls in the journal of the run's worlds
    matched: int = 0                    # of which carried a token of this run
    untracked: int = 0                  # send calls without a token (templates without variables, other runs)
    leaked_to_meta: int = 0             # tokens of 429-rejected requests found in the journal
    lost_sends: int = 0                 # success:true (not queued) sends that never reached Meta
    repeated_calls: int = 0             # a token seen more than once (target retries; expected only if queued)
    examples: dict[str, list] = field(default_factory=lambda: defaultdict(list))

    def as_dict(self) -> dict:
        data = {k: v for k, v in self.__dict__.items() if k != "examples"}
        data["examples"] = {k: v[:MAX_EXAMPLES] for k, v in self.examples.items()}
        return data


def reconcile_south(run_id: str, sends: Iterable[Row], journal: Iterable[Any]) -> SouthReport:
    """Match the run's sends (ledger rows) with the Meta calls the simulator journaled."""
    report = SouthReport()
    seen: Counter[tuple[int, int]] = Counter()
    for entry in journal:
        path = _get(entry, "path", "") or ""
        if (_get(entry, "method", "") or "").upper() != "POST" or not path.rstrip("/").endswith("/messages"):
            continue
        report.send_calls += 1
        body = _get(entry, "body")
        if not isinstance(body, str):
            body = json.dumps(_get(entry, "json")) if _get(entry, "json") is not None else ""
        match = TOKEN.search(body)
        if not match or match["run"] != run_id:
            report.untracked += 1
            continue
        report.matched += 1
        seen[(int(match["key"]), int(match["seq"]))] += 1
    for row in sends:
        if not row.op.is_send:
            continue
        calls = seen.get((row.key, row.seq), 0)
        where = {"key": row.key, "seq": row.seq, "status": row.status}
        if row.status == 429 and calls:
            report.leaked_to_meta += 1
            report.examples["leaked_to_meta"].append(where)
        if row.status == 200 and row.detail is Detail.SENT and calls == 0:
            report.lost_sends += 1
            report.examples["lost_sends"].append(where)
        if calls > 1:
            report.repeated_calls += calls - 1
            report.examples["repeated_calls"].append({**where, "calls": calls})
    return report


# ----------------------------------------------------------------------------------------------- east
@dataclass
class EastReport:
    deliveries: int = 0                 # requests that reached the sink
    inbound_emitted: int = 0            # inbound messages the simulator delivered to the target
    inbound_refused: int = 0            # ... that the target answered with a non-2xx (lost at the door)
    inbound_relayed: int = 0            # distinct emitted messages that reached the sink
    inbound_lost: int = 0               # accepted by the target, never relayed
    emit_errors: int = 0                # the simulator could not emit (the kit's problem: an error, not a loss)
    duplicates_explained: int = 0       # extra copies after a failed/slow sink answer: documented at-least-once
    duplicates_unexplained: int = 0
    invalid_signatures: int = 0         # missing, malformed or wrong X-Webhook-Signature
    unverifiable: int = 0               # no secret known for the channel (keys read from a file)
    misrouted: int = 0                  # payload channel_id differs from the channel whose URL it was sent to
    unparseable: int = 0
    status_events: int = 0
    illegal_status_orders: int = 0      # messages whose statuses arrived in an illegal order
    unknown_inbound: int = 0            # message.received for nothing we emitted
    statuses_emitted: int = 0           # status webhooks the simulator delivered to the target
    statuses_refused: int = 0           # ... answered non-2xx by the target
    statuses_lost: int = 0              # accepted WhatsApp/Instagram statuses missing at the sink (by count per
                                        # channel and status: the sink sees Fiwano ids, the simulator Meta ids)
    # relay latency of the run's inbound messages (window openers of the setup excluded): from the start of the
    # emit call (Meta's webhook leaving the simulator) to the first copy's arrival at the sink, in ms
    relay_latency_ms: dict[str, float | int | None] = field(default_factory=dict)
    examples: dict[str, list] = field(default_factory=lambda: defaultdict(list))

    def as_dict(self) -> dict:
        data = {k: v for k, v in self.__dict__.items() if k != "examples"}
        data["examples"] = {k: v[:MAX_EXAMPLES] for k, v in self.examples.items()}
        return data


def signature_valid(body: bytes, secret: str, header: str | None) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[len("sha256="):].strip())


def illegal_order(statuses: list[str]) -> str | None:
    """Why a message's statuses (in arrival order) are illegal, or None. Legal: sent < delivered < read,
    repeats allowed (counted as duplicates elsewhere), ``failed`` is terminal and may only follow ``sent``."""
    best = 0
    for position, status in enumerate(statuses):
        if status == "failed":
            if best > STATUS_RANK["sent"]:
                return f"failed after {statuses[:position]}"
            if any(s != "failed" for s in statuses[position + 1:]):
                return f"{statuses[position + 1:]} after failed"
            return None
        rank = STATUS_RANK.get(status)
        if rank is None:
            return f"unknown status {status!r}"
        if rank < best:
            return f"{status} after {statuses[:position]}"
        best = max(best, rank)
    return None


def _copy_failed(record: Any, response_timeout: float) -> bool:
    status = _get(record, "status", 200)
    return not (200 <= status < 300) or (_get(record, "answered", 0) - _get(record, "arrived", 0)) >= response_timeout


def reconcile_east(emitted: Iterable[dict], sink_records: Iterable[Any], secrets_by_channel: dict[str, str],
                   response_timeout: float) -> EastReport:
    """Match the inbound messages the run emitted with the webhooks the sink received."""
    report = EastReport()
    copies: dict[tuple, list] = defaultdict(list)         # (kind, channel, message id[, status]) -> records
    statuses: dict[str, list[str]] = defaultdict(list)
    received: set[tuple[str, str]] = set()
    first_arrival: dict[tuple[str, str], float] = {}
    for record in sorted(sink_records, key=lambda r: (_get(r, "arrived", 0), _get(r, "seq", 0))):
        report.deliveries += 1
        path = _get(record, "path", "")
        path_channel = path.rsplit("/", 1)[-1] if path.startswith("/hooks/") else None
        body: bytes = _get(record, "body", b"")
        secret = secrets_by_channel.get(path_channel or "")
        headers = _get(record, "headers", {}) or {}
        if secret is None:
            report.unverifiable += 1
        elif not signature_valid(body, secret, headers.get("x-webhook-signature")):
            report.invalid_signatures += 1
            report.examples["invalid_signatures"].append({"path": path, "seq": _get(record, "seq")})
        try:
            payload = json.loads(body)
            event, channel, data = payload["event"], payload.get("channel_id"), payload.get("data") or {}
        except (ValueError, KeyError, TypeError):
            report.unparseable += 1
            continue
        if path_channel is not None and channel != path_channel:
            report.misrouted += 1
            report.examples["misrouted"].append({"path": path, "channel_id": channel})
        message_id = data.get("message_id")
        if event == "message.received":
            copies[("received", channel, message_id)].append(record)
            received.add((channel, message_id))
            first_arrival.setdefault((channel, message_id), float(_get(record, "arrived", 0) or 0))
        elif event.startswith("message."):
            report.status_events += 1
            status = data.get("status") or event.split(".", 1)[1]
            copies[("status", channel, message_id, status)].append(record)
            if len(copies[("status", channel, message_id, status)]) == 1:
                statuses[message_id].append(status)

    for key, records in copies.items():
        for position in range(1, len(records)):
            if any(_copy_failed(earlier, response_timeout) for earlier in records[:position]):
                report.duplicates_explained += 1
            else:
                report.duplicates_unexplained += 1
                report.examples["duplicates_unexplained"].append({"key": list(key), "copies": len(records)})

    for message_id, sequence in statuses.items():
        reason = illegal_order(sequence)
        if reason:
            report.illegal_status_orders += 1
            report.examples["illegal_status_orders"].append({"message_id": message_id, "why": reason})

    emitted = list(emitted)
    _reconcile_statuses(report, [r for r in emitted if r.get("kind") == "status"], copies)
    emitted = [r for r in emitted if r.get("kind") != "status"]
    expected: set[tuple[str, str]] = set()
    latencies: list[float] = []
    for row in emitted:
        if row.get("emit_error"):
            report.emit_errors += 1
            continue
        report.inbound_emitted += 1
        status = row.get("delivery_status")
        if status is None or not (200 <= int(status) < 300):
            report.inbound_refused += 1
            report.examples["inbound_refused"].append({k: row.get(k) for k in
                                                       ("channel_id", "message_id", "delivery_status",
                                                        "delivery_error")})
            continue
        wanted = (row["channel_id"], row["message_id"])
        expected.add(wanted)
        if wanted in received:
            report.inbound_relayed += 1
            if row.get("sent") is not None and not row.get("setup"):
                latencies.append(max(0.0, (first_arrival[wanted] - float(row["sent"])) * 1000))
        else:
            report.inbound_lost += 1
            report.examples["inbound_lost"].append({"channel_id": wanted[0], "message_id": wanted[1]})
    report.relay_latency_ms = relay_latency_summary(latencies)
    report.unknown_inbound = len(received - expected - {(r.get("channel_id"), r.get("message_id"))
                                                        for r in emitted})
    return report


def relay_latency_summary(latencies_ms: list[float]) -> dict[str, float | int | None]:
    """Count and nearest-rank percentiles (ms, 0.1 ms) of relay latencies."""
    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 1)

    return {"count": len(latencies_ms), "p50": rounded(percentile(latencies_ms, 0.50)),
            "p90": rounded(percentile(latencies_ms, 0.90)), "p99": rounded(percentile(latencies_ms, 0.99)),
            "max": rounded(max(latencies_ms)) if latencies_ms else None}


def _reconcile_statuses(report: EastReport, rows: list[dict], copies: dict[tuple, list]) -> None:
    """Count-based: per channel and status, at least as many distinct relayed events as accepted emits.
    Messenger is left out: its read receipts are watermarks, which a target may fan out to several messages."""
    accepted: Counter[tuple[str, str]] = Counter()
    for row in rows:
        if row.get("emit_error"):
            report.emit_errors += 1
            continue
        report.statuses_emitted += 1
        status = row.get("delivery_status")
        if status is None or not (200 <= int(status) < 300):
            report.statuses_refused += 1
            report.examples["statuses_refused"].append({k: row.get(k) for k in
                                                        ("channel_id", "meta_message_id", "status",
                                                         "delivery_status", "delivery_error")})
        elif row.get("channel_type") != "facebook":
            accepted[(row["channel_id"], row["status"])] += 1
    relayed: Counter[tuple[str, str]] = Counter()
    for key in copies:
        if key[0] == "status":
            relayed[(key[1], key[3])] += 1
    for pair, count in accepted.items():
        missing = count - relayed.get(pair, 0)
        if missing > 0:
            report.statuses_lost += missing
            report.examples["statuses_lost"].append({"channel_id": pair[0], "status": pair[1], "missing": missing})


def missing_deliveries(emitted: list[dict], sink_records: list[Any]) -> int:
    """How many accepted inbound messages and status webhooks have not reached the sink yet (to decide
    whether to keep waiting for the target's relay before judging)."""
    report = reconcile_east(emitted, sink_records, {}, float("inf"))
    return report.inbound_lost + report.statuses_lost
