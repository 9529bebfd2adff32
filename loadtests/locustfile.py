"""The Fiwano load tests as a Locust file: ``locust -f loadtests/locustfile.py --headless --host TARGET
--fiwano-profile ci --fiwano-simulator SIM ...`` (or ``fiwano-conformance load``, which builds that command).

This file only wires things to Locust: the command-line options, the init and test_stop events, the user
classes and the shape. Everything else lives in the ``loadtests`` modules; see docs/loadtests.md.
"""

from __future__ import annotations

import logging

from locust import events
from locust.runners import WorkerRunner

from loadtests import progress, runtime
from loadtests.coordination import Link
from loadtests.session import Options, Session
from loadtests.shapes import ProfileShape  # noqa: F401  (Locust picks the shape up from this module)
from loadtests.users import InboundUser, ReadUser, SendUser, StatusUser  # noqa: F401  (and the user classes)

log = logging.getLogger("fiwano.load")
GRACEFUL_STOP_SECONDS = 5.0


@events.init_command_line_parser.add_listener
def _options(parser, **_kw) -> None:
    group = parser.add_argument_group("Fiwano load tests")
    group.add_argument("--fiwano-profile", env_var="FIWANO_LOAD_PROFILE", default="ci",
                       help="load profile: a name in loadtests/profiles/ or a YAML path")
    group.add_argument("--fiwano-out", env_var="FIWANO_LOAD_OUT", default="load-results",
                       help="directory for verdict.json, verdict.txt, keys.csv, sink.jsonl")
    group.add_argument("--fiwano-keys", env_var="FIWANO_LOAD_KEYS", default="",
                       help="keyring file (JSON/YAML, or one API key per line) instead of minting keys")
    group.add_argument("--fiwano-keys-count", env_var="FIWANO_LOAD_KEYS_COUNT", default="",
                       help="override the profile's number of keys")
    group.add_argument("--fiwano-duration", env_var="FIWANO_LOAD_DURATION", default="",
                       help="override the profile's duration (seconds)")
    group.add_argument("--fiwano-harness", env_var="FIWANO_HARNESS", default="",
                       help="harness API base URL (default: the target)")
    group.add_argument("--fiwano-simulator", env_var="FIWANO_SIMULATOR", default="",
                       help="simulator base URL (needed to mint keys, emit inbound and read the journal)")
    group.add_argument("--fiwano-sink-host", env_var="FIWANO_SINK_HOST", default="127.0.0.1",
                       help="address the webhook sink binds")
    group.add_argument("--fiwano-sink-port", env_var="FIWANO_SINK_PORT", default="0", help="sink port (0: free)")
    group.add_argument("--fiwano-sink-url", env_var="FIWANO_SINK_URL", default="",
                       help="URL the target must use to reach the sink (default https://<host>:<port>)")
    group.add_argument("--fiwano-sink-workers", env_var="FIWANO_SINK_WORKERS", default="1",
                       help="sink processes sharing its port (SO_REUSEPORT), each with its own JSONL, merged after")
    group.add_argument("--fiwano-sink-ca-dir", env_var="FIWANO_SINK_CA_DIR", default="",
                       help="directory of the kit CA (kit-ca.pem) the target trusts "
                            "(default: the kit CA every run reuses, `fiwano-conformance ca path`)")
    group.add_argument("--fiwano-save-keys", env_var="FIWANO_LOAD_SAVE_KEYS", default="",
                       help="write the minted keyring (live API keys, mode 0600) to this file")
    group.add_argument("--fiwano-run-id", env_var="FIWANO_LOAD_RUN_ID", default="", help="run id (default: time-based)")
    group.add_argument("--fiwano-progress-seconds", env_var="FIWANO_LOAD_PROGRESS_SECONDS", default="10",
                       help="print one progress line (time, users, requests, failures, req/s, p95) this often; 0: never")


@events.init.add_listener
def _init(environment, **_kw) -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per simulator call drowns the log
    if isinstance(environment.runner, WorkerRunner):
        runtime.set_link(Link(environment, None))
        return
    # let a stopped user finish the request it is in (bounded), so that its outcome is known
    environment.stop_timeout = environment.stop_timeout or GRACEFUL_STOP_SECONDS
    session = Session(Options.from_locust(environment))
    session.prepare()
    runtime.set_session(session)
    runtime.set_link(Link(environment, session.coordinator))


_progress: list = []


@events.test_start.add_listener
def _test_start(environment, **_kw) -> None:
    session = runtime.session()
    if session is None or isinstance(environment.runner, WorkerRunner):
        return
    every = float(getattr(environment.parsed_options, "fiwano_progress_seconds", 0) or 0)
    greenlet = progress.start(environment, every, lambda: getattr(session.profile, "duration_seconds", None))
    if greenlet is not None:
        _progress.append(greenlet)


@events.test_stop.add_listener
def _test_stop(environment, **_kw) -> None:
    while _progress:
        _progress.pop().kill(block=False)
    session = runtime.session()
    if session is None or isinstance(environment.runner, WorkerRunner):
        return
    environment.process_exit_code = session.finish(environment)
