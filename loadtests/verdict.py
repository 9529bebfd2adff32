"""Writing the run's verdict next to Locust's HTML and CSV: ``verdict.json`` (everything, for machines),
``verdict.txt`` (the gates and headline figures, for people) and ``keys.csv`` (per key admitted/rejected).

API keys never appear in clear: keys are shown by index and a redacted prefix.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from loadtests.gates import Gate
from loadtests.keyring import Keyring
from loadtests.ratelimit import KeyAdmission

EXIT_PASS, EXIT_GATES_FAILED, EXIT_ERROR = 0, 1, 2


def write_keys_csv(path: Path, keyring: Keyring, per_key: dict[int, KeyAdmission], sends: dict[int, int]) -> None:
    keys = keyring.by_index()
    with Path(path).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["key_index", "api_key", "requests", "admitted", "rejected_429", "unknown",
                         "wrongly_admitted", "wrongly_rejected", "max_admitted_in_window", "sends"])
        for index, result in sorted(per_key.items()):
            writer.writerow([index, keys[index].redacted() if index in keys else "", result.admitted +
                             result.rejected + result.unknown, result.admitted, result.rejected, result.unknown,
                             result.wrongly_admitted, result.wrongly_rejected, result.max_admitted_in_window,
                             sends.get(index, 0)])


def per_key_spread(per_key: dict[int, KeyAdmission]) -> dict[str, Any]:
    """Min / max per key of the admission figures: what 'each key' did, in two numbers each."""
    if not per_key:
        return {}
    spread = {}
    for name in ("admitted", "rejected", "max_admitted_in_window"):
        values = [getattr(r, name) for r in per_key.values()]
        spread[name] = {"min": min(values), "max": max(values)}
    return spread


def render_text(verdict: dict) -> str:
    lines = [f"Fiwano load run {verdict['run_id']}: profile {verdict['profile']['name']} "
             f"({verdict['profile']['shape']}), target {verdict['target']}",
             f"verdict: {verdict['result'].upper()}" + (f" ({verdict['error']})" if verdict.get("error") else "")]
    summary = verdict.get("summary") or {}
    if summary:
        lines.append(f"requests {summary['requests']}, {summary['throughput_rps']:.1f} req/s, "
                     f"429 {summary['rejected_429']}, failures {summary['failures']} "
                     f"(ratio {summary['failure_ratio']:.4f}), p95 "
                     f"{'-' if summary['p95_ms'] is None else round(summary['p95_ms'], 1)} ms")
    rate = verdict.get("rate_limit") or {}
    if rate:
        lines.append(f"rate limit {rate['limit']}/{rate['window_seconds']:g}s, per-key interval "
                     f"{rate['per_key_interval_seconds']:.3f}s: admitted {rate['totals']['admitted']}, "
                     f"rejected {rate['totals']['rejected']}, wrongly admitted {rate['totals']['wrongly_admitted']}, "
                     f"wrongly rejected {rate['totals']['wrongly_rejected']}; per key {rate['per_key_spread']}")
    if verdict.get("south"):
        s = verdict["south"]
        lines.append(f"south (journal): {s['send_calls']} send calls, {s['matched']} matched, "
                     f"{s['leaked_to_meta']} rejected sends reached Meta, {s['lost_sends']} admitted sends missing")
    if verdict.get("east"):
        e = verdict["east"]
        lines.append(f"east (sink): {e['deliveries']} deliveries; inbound emitted {e['inbound_emitted']}, "
                     f"relayed {e['inbound_relayed']}, lost {e['inbound_lost']}, refused {e['inbound_refused']}; "
                     f"duplicates {e['duplicates_unexplained']} (+{e['duplicates_explained']} at-least-once); "
                     f"bad signatures {e['invalid_signatures']}; statuses emitted {e['statuses_emitted']}, "
                     f"relayed events {e['status_events']}, lost {e['statuses_lost']}, refused "
                     f"{e['statuses_refused']}, illegal orders {e['illegal_status_orders']}")
        latency = e.get("relay_latency_ms") or {}
        if latency.get("count"):
            lines.append(f"relay latency (emit -> sink, {latency['count']} inbound messages): p50 {latency['p50']} ms, "
                         f"p90 {latency['p90']} ms, p99 {latency['p99']} ms, max {latency['max']} ms")
    if verdict.get("ramp"):
        best = verdict["ramp"].get("highest_sustained")
        lines.append("ramp: highest sustained " + (f"{best['offered_rps']} req/s ({best['keys']} keys)"
                                                   if best else "none"))
    lines.append("gates:")
    for gate in verdict.get("gates", []):
        lines.append(f"  [{gate['status']:>7}] {gate['name']}: {gate['value']} (threshold {gate['threshold']})"
                     + (f" - {gate['note']}" if gate.get("note") else ""))
    return "\n".join(lines) + "\n"


def write_verdict(out_dir: Path, verdict: dict) -> str:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "verdict.json").write_text(json.dumps(verdict, indent=1, default=str), encoding="utf-8")
    text = render_text(verdict)
    (out_dir / "verdict.txt").write_text(text, encoding="utf-8")
    return text


def result_of(gates: list[Gate], error: str | None) -> tuple[str, int]:
    if error:
        return "error", EXIT_ERROR
    if any(g.failed for g in gates):
        return "fail", EXIT_GATES_FAILED
    return "pass", EXIT_PASS
