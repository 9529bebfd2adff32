"""Shared helpers for the benchmark scripts: machine facts, load checks, pinned servers, wrk runs.

Nothing here asserts a timing (rule 5 of the house): the scripts print figures, people read them.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

# wrk's done() hook prints one JSON line with exact percentiles (microseconds) and error counts.
WRK_DONE_LUA = r'''
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,'
    .. '"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
'''


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


def machine_info() -> dict[str, Any]:
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()[:10]
    wrk = shutil.which("wrk")
    wrk_version = ""
    if wrk:
        wrk_version = subprocess.run([wrk, "-v"], capture_output=True, text=True).stdout.splitlines()[0:1]
        wrk_version = wrk_version[0] if wrk_version else ""
    return {"date_utc": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
            "nproc": os.cpu_count(), "lscpu": lscpu, "python": platform.python_version(),
            "platform": platform.platform(), "wrk": wrk_version, "loadavg": load_average()}


def print_machine() -> dict[str, Any]:
    info = machine_info()
    print(f"# date {info['date_utc']} UTC, nproc {info['nproc']}, Python {info['python']}, {info['platform']}")
    for line in info["lscpu"]:
        print(f"#   {line}")
    print(f"# wrk: {info['wrk']}; load average {fmt_load(info['loadavg'])}", flush=True)
    return info


def fmt_load(load: tuple[float, float, float]) -> str:
    return " ".join(f"{x:.2f}" for x in load)


def cpu_busy(seconds: float = 1.0) -> float:
    """Share of all CPUs busy over ``seconds`` (from /proc/stat), 0..1: what other processes are doing now.

    The load average lags by a minute and counts our own previous run, so the gate between runs uses this.
    """
    def snap() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = fields[3] + fields[4]
        return idle, sum(fields)

    idle0, total0 = snap()
    time.sleep(seconds)
    idle1, total1 = snap()
    return 1 - (idle1 - idle0) / max(1, total1 - total0)


def wait_for_quiet(threshold: float, max_wait: float, max_busy: float = 0.15) -> tuple[float, float, float]:
    """Wait (up to ``max_wait`` s) until the machine is quiet: under ``max_busy`` of the CPUs busy over 2 s,
    and a 1-minute load average below ``threshold`` unless our own previous run explains it (the CPUs are
    idle now). Returns the load average; prints what it waited for."""
    deadline = time.monotonic() + max_wait
    while True:
        busy = cpu_busy(2.0)
        load = load_average()
        if busy < max_busy or time.monotonic() >= deadline:
            if busy >= max_busy:
                print(f"# WARNING: still {100 * busy:.0f} % CPU busy after waiting {max_wait:g} s", flush=True)
            print(f"# before run: {100 * busy:.0f} % CPU busy (other processes), load {fmt_load(load)}", flush=True)
            return load
        print(f"# {100 * busy:.0f} % CPU busy, load {fmt_load(load)}: waiting", flush=True)
        time.sleep(5)


def write_lua(body: str | None, headers: dict[str, str], method: str = "POST",
              rotating_header: tuple[str, list[str]] | None = None) -> Path:
    """A wrk script: fixed method/body/headers, optionally one header rotating over a list of values."""
    lines = [f"wrk.method = {json.dumps(method)}"]
    if body is not None:
        lines.append(f"wrk.body = {json.dumps(body)}")
    for key, value in headers.items():
        lines.append(f"wrk.headers[{json.dumps(key)}] = {json.dumps(value)}")
    if rotating_header is not None:
        name, values = rotating_header
        lines.append("local values = {" + ",".join(json.dumps(v) for v in values) + "}")
        lines.append("local n = #values")
        lines.append("local i = math.random(n)")
        lines.append("request = function()")
        lines.append("  i = i % n + 1")
        lines.append(f"  wrk.headers[{json.dumps(name)}] = values[i]")
        lines.append("  return wrk.format()")
        lines.append("end")
    lines.append(WRK_DONE_LUA)
    fd, path = tempfile.mkstemp(suffix=".lua", prefix="fiwano-bench-")
    os.close(fd)
    Path(path).write_text("\n".join(lines))
    return Path(path)


def run_wrk(url: str, lua: Path, duration: float, connections: int = 32, threads: int = 1,
            cpu: str | None = "1", timeout: float = 10.0) -> dict[str, Any]:
    """One wrk run; returns req/s, latency percentiles (ms) and errors. ``cpu`` pins wrk with taskset."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s", f"--timeout={max(1, round(timeout))}s", "--latency",
           "-s", str(lua), url]
    if cpu is not None:
        cmd = ["taskset", "-c", cpu, *cmd]
    out = subprocess.run(cmd, capture_output=True, text=True)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result:\n{out.stdout}\n{out.stderr}")
    raw = json.loads(line[len("WRKJSON "):])
    secs = raw["duration_us"] / 1e6
    errors = raw["connect"] + raw["read"] + raw["write"] + raw["status"] + raw["timeout"]
    return {"rps": raw["requests"] / secs, "requests": raw["requests"], "p50_ms": raw["p50_us"] / 1000,
            "p90_ms": raw["p90_us"] / 1000, "p99_ms": raw["p99_us"] / 1000, "max_ms": raw["max_us"] / 1000,
            "errors": errors, "non2xx": raw["status"], "error_ratio": errors / max(1, raw["requests"]),
            "load1": load_average()[0]}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (seconds), from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fmt_run(name: str, r: dict[str, Any]) -> str:
    return (f"{name:<12} {r['rps']:>9.0f} req/s  p50 {r['p50_ms']:7.2f} ms  p99 {r['p99_ms']:7.2f} ms  "
            f"errors {r['errors']} ({100 * r['error_ratio']:.2f} %)  load1 {r['load1']:.2f}")


def medians(runs: list[dict[str, Any]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50_ms", "p99_ms", "error_ratio")}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, int(-(-q * len(ordered) // 100)))
    return ordered[min(rank, len(ordered)) - 1]


def pinned_launcher(cpu: str | None) -> tuple[str, ...]:
    base = (PYTHON, "-m", "fiwano_conformance")
    return ("taskset", "-c", cpu, *base) if cpu is not None else base


def start_process(cmd: list[str], log: Path, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.Popen:
    handle = log.open("ab")
    proc = subprocess.Popen(cmd, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=cwd,
                            start_new_session=True, env=env)
    handle.close()
    return proc


def stop_process(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def wait_http(url: str, timeout: float = 20.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def save_json(path: Path | None, data: Any) -> None:
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2))
        print(f"# results written to {path}")


def profile_under_load(pid: int, url: str, lua: Path, seconds: float, connections: int, wrk_cpu: str | None,
                       raw_out: Path, wrk_timeout: float = 10.0) -> None:
    """Run wrk and ``py-spy record`` together; print py-spy's hottest functions (own and inclusive time)."""
    spy = shutil.which("py-spy") or str(Path(PYTHON).parent / "py-spy")
    rec = subprocess.Popen([spy, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--format", "raw",
                            "--output", str(raw_out), "--rate", "200", "--nonblocking"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(0.5)
    r = run_wrk(url, lua, seconds, connections, cpu=wrk_cpu, timeout=wrk_timeout)
    rec.wait(timeout=60)
    print(f"\n# under py-spy (sampling costs throughput): {fmt_run('server', r)}")
    print_profile(raw_out)


def print_profile(raw_out: Path, top: int = 30) -> None:
    """Summarise py-spy's collapsed stacks: self time per function and inclusive time per function."""
    own: dict[str, int] = {}
    incl: dict[str, int] = {}
    total = 0
    for line in raw_out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        total += n
        frames = stack.split(";")
        own[frames[-1]] = own.get(frames[-1], 0) + n
        for frame in set(frames):
            incl[frame] = incl.get(frame, 0) + n
    print(f"# py-spy: {total} samples; self time")
    for frame, n in sorted(own.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {100 * n / total:5.1f} %  {frame}")
    print("# inclusive time (the kit, starlette, fastapi, uvicorn, httpx, sqlite, json)")
    marks = ("simulator/", "reference/", "starlette/", "fastapi/", "uvicorn/", "httpx/", "httpcore/", "sqlite",
             "json", "pydantic")
    keys = [f for f in incl if any(m in f for m in marks)]
    for frame in sorted(keys, key=lambda f: -incl[f])[:top]:
        print(f"  {100 * incl[frame] / total:5.1f} %  {frame}")


def chosen_names(parser: Any, value: str, known: tuple[str, ...], what: str = "path") -> list[str]:
    """The comma-separated names of an option (``--paths text,profile``), each one of ``known``; an unknown one is
    the parser's usage error."""
    names = [name for name in value.split(",") if name]
    for name in names:
        if name not in known:
            parser.error(f"unknown {what} {name!r}; known: {', '.join(known)}")
    return names
