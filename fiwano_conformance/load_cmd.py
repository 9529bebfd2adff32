"""``fiwano-conformance load``: run a load profile headless and write Locust's HTML and CSV plus our verdict.

It builds a plain ``locust -f loadtests/locustfile.py ...`` command and runs it in a child process (Locust
monkey-patches the standard library with gevent, which must not leak into this process), so whatever this
command does can also be done with Locust directly (docs/loadtests.md). Without ``--target`` it starts the
embedded pair (simulator + reference in test mode) with the kit CA the load run's webhook sink uses: the
one kit CA of every command (fiwano_conformance/shared/kit_ca.py; ``--sink-ca-dir`` or ``FIWANO_SINK_CA_DIR`` to
use another directory), so a target of one's own is configured to trust it once.

Exit codes: 0 every gate passed; 1 a gate failed; 2 the run could not be made or judged (setup error, Locust
crashed, no verdict).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from fiwano_conformance import children

ACCEPTS_EXTRA_ARGS = False
LOCUSTFILE = Path(__file__).resolve().parents[1] / "loadtests" / "locustfile.py"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", default=os.environ.get("FIWANO_LOAD_PROFILE", "ci"),
                        help="load profile: ci, steady, burst, ramp, soak, or a YAML path (default: ci)")
    parser.add_argument("--target", default=os.environ.get("FIWANO_TARGET"),
                        help="Fiwano base URL; without it the embedded pair is started")
    parser.add_argument("--harness", default=os.environ.get("FIWANO_HARNESS"),
                        help="harness API base URL (default: the target)")
    parser.add_argument("--simulator", default=os.environ.get("FIWANO_SIMULATOR"),
                        help="simulator base URL the target uses as Meta (required with --target to mint keys)")
    parser.add_argument("--keys", help="keyring file instead of minting keys (JSON/YAML keyring or one key per line)")
    parser.add_argument("--keys-count", type=int, help="override the profile's number of keys")
    parser.add_argument("--duration", type=float, help="override the profile's duration in seconds")
    parser.add_argument("--out", type=Path, help="output directory (default: load-results/<profile>-<time>)")
    parser.add_argument("--pair-profile", default=None,
                        help="contract profile (name or YAML path) the embedded reference runs with (default: the "
                             "load profile's contract_profile); a different limit there is a quick negative test")
    parser.add_argument("--workers", type=int, default=0,
                        help="run distributed: a Locust master and this many local worker processes")
    parser.add_argument("--sink-host", default=os.environ.get("FIWANO_SINK_HOST", "127.0.0.1"))
    parser.add_argument("--sink-port", type=int, default=0)
    parser.add_argument("--sink-url", default=os.environ.get("FIWANO_SINK_URL"),
                        help="URL the target must use to reach the webhook sink")
    parser.add_argument("--sink-workers", type=int, default=1,
                        help="webhook sink processes sharing its port (SO_REUSEPORT; default 1, docs/scaling.md)")
    parser.add_argument("--simulator-workers", type=int, default=1,
                        help="the embedded pair's simulator split over N processes behind Caddy (simulator --workers "
                             "N; needs the extra `scale`; default 1)")
    parser.add_argument("--sink-ca-dir", type=Path, default=None,
                        help="kit CA directory (kit-ca.pem) the target trusts (default: the one every run reuses, "
                             "FIWANO_SINK_CA_DIR or `fiwano-conformance ca path`)")
    parser.add_argument("--save-keys", type=Path, help="write the minted keyring (live keys, mode 0600) here")
    parser.add_argument("--run-id", help="run id used in message tokens (default: time-based)")
    parser.add_argument("--web", action="store_true", help="open Locust's web UI instead of running headless")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress line every 10 s (Locust's stats: time, users, requests, failures, p95)")
    parser.add_argument("--locust-arg", action="append", default=[], metavar="ARG",
                        help="extra argument passed to Locust as is (repeatable), e.g. --locust-arg=--loglevel=DEBUG")


def locust_command(args: argparse.Namespace, target: str, simulator: str | None, out: Path,
                   ca_dir: Path) -> list[str]:
    """The plain Locust command line this subcommand runs (also printed, to be reused by hand)."""
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--host", target,
               "--csv", str(out / "locust"), "--html", str(out / "locust.html"),
               "--fiwano-profile", args.profile, "--fiwano-out", str(out), "--fiwano-sink-ca-dir", str(ca_dir),
               "--fiwano-sink-host", args.sink_host, "--fiwano-sink-port", str(args.sink_port)]
    if getattr(args, "sink_workers", 1) > 1:
        command += ["--fiwano-sink-workers", str(args.sink_workers)]
    if not args.web:
        # Locust's own table every 2 s is too much for a CI log: one progress line instead (loadtests/progress.py)
        command += ["--headless", "--only-summary"]
    if getattr(args, "quiet", False):
        command += ["--fiwano-progress-seconds", "0"]
    optional = {"--fiwano-simulator": simulator, "--fiwano-harness": args.harness, "--fiwano-keys": args.keys,
                "--fiwano-keys-count": args.keys_count, "--fiwano-duration": args.duration,
                "--fiwano-sink-url": args.sink_url, "--fiwano-save-keys": args.save_keys,
                "--fiwano-run-id": args.run_id}
    for flag, value in optional.items():
        if value not in (None, ""):
            command += [flag, str(value)]
    if args.workers:
        command += ["--processes", str(args.workers)]
    return command + list(args.locust_arg)


def sink_ca_dir(args: argparse.Namespace) -> Path:
    """The kit CA directory of this run: ``--sink-ca-dir``, else the one kit CA every command uses
    (``FIWANO_SINK_CA_DIR`` or the user's cache, fiwano_conformance/shared/kit_ca.py), so a target trusts it once."""
    from fiwano_conformance.shared.kit_ca import default_ca_dir

    return Path(args.sink_ca_dir).expanduser() if args.sink_ca_dir else default_ca_dir()


LOCUST_MISSING = ("fiwano-conformance load: Locust is not installed; install the kit's `load` extra: "
                  "pip install -e '.[load]' (from a checkout) or pip install 'fiwano-conformance[load]'")


def run(args: argparse.Namespace) -> int:
    import importlib.util

    from loadtests.loadprofile import load_load_profile
    from fiwano_conformance.shared.kit_ca import ensure_ca

    if importlib.util.find_spec("locust") is None:  # an optional extra since issue 16
        print(LOCUST_MISSING, file=sys.stderr)
        return 2

    try:
        profile = load_load_profile(args.profile)
    except (FileNotFoundError, ValueError) as exc:
        print(f"fiwano-conformance load: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out or Path("load-results") / f"{Path(args.profile).stem}-{time.strftime('%Y%m%dT%H%M%S')}")
    out.mkdir(parents=True, exist_ok=True)
    ca_dir = sink_ca_dir(args)
    ensure_ca(ca_dir)  # create it now, so that the embedded target can be told to trust it
    try:
        with children.signals_raise():  # SIGTERM/SIGINT: stop Locust, its workers and the pair, then exit 2
            return _run_with(args, profile, out, ca_dir)
    except children.Interrupted as exc:
        print(f"fiwano-conformance load: interrupted by {exc}", file=sys.stderr)
        return 2


def _run_with(args: argparse.Namespace, profile, out: Path, ca_dir: Path) -> int:
    pair = None
    target, simulator = args.target, args.simulator
    if args.simulator_workers > 1 and not target:
        from fiwano_conformance.simulator_fleet import caddy_executable, missing_router_message

        if caddy_executable() is None:
            print(missing_router_message(args.simulator_workers, "fiwano-conformance load", "--simulator-workers"),
                  file=sys.stderr)
            return 2
    if target and args.pair_profile:
        print("fiwano-conformance load: --pair-profile only applies to the embedded pair; ignored", file=sys.stderr)
    if not target:
        from fiwano_conformance.embedded import start_pair
        from fiwano_conformance.shared.kit_ca import ca_file

        # reconciliation reads every send from the simulator's journal: a 5-minute steady run at 1,000 keys
        # makes ~355,000 of them, beyond the journal's default caps of 100,000 entries and 128 MiB (~700 bytes
        # a send: ~180,000 sends)
        os.environ.setdefault("FIWANO_SIM_JOURNAL_MAX_ENTRIES", "1000000")
        os.environ.setdefault("FIWANO_SIM_JOURNAL_MAX_BYTES", str(2 * 1024 ** 3))
        try:
            pair = start_pair(out / "pair", webhook_ca_file=ca_file(ca_dir),
                              profile=str(args.pair_profile or profile.contract_profile),
                              simulator_workers=args.simulator_workers)
        except children.Interrupted:
            children.stop_tree(children.tree_of_self())
            raise
        target, simulator = pair.target_url, pair.simulator_url
        print(f"embedded pair: target {target}, simulator {simulator} (logs in {out / 'pair'})")
    command = locust_command(args, target.rstrip("/"), simulator, out, ca_dir)
    print("running:", " ".join(command), flush=True)
    companions = [] if pair is None else [pair.reference.process.pid, pair.simulator.process.pid]
    try:
        returncode = children.run_supervised(command, companions=companions)
    except children.Interrupted:
        if pair is not None:
            pair.mark_stopped()  # stopped in the same sweep as Locust
        raise
    finally:
        if pair is not None:
            pair.stop()
    verdict_file = out / "verdict.json"
    if not verdict_file.exists():
        print(f"fiwano-conformance load: no verdict written (Locust exited with {returncode})", file=sys.stderr)
        return 2
    result = json.loads(verdict_file.read_text(encoding="utf-8")).get("result")
    print(f"verdict: {result} ({out / 'verdict.txt'})")
    return {"pass": 0, "fail": 1}.get(result, 2)
