"""``fiwano-conformance simulator`` and ``fiwano-conformance reference``: serve one part standalone.

Options map one to one onto the part's settings class (``SimulatorSettings`` / ``ReferenceSettings``);
an option left out falls back to the settings' own env variables (``FIWANO_SIM_*`` / ``FIWANO_REF_*``)
and defaults.
"""

from __future__ import annotations

import argparse
from typing import Any

from fiwano_conformance.serving import serve
from fiwano_conformance.shared import gc_tuning

# option -> settings field, per part; every option is optional.
SIMULATOR_OPTIONS = {
    "--app-id": "app_id",
    "--app-secret": "app_secret",
    "--verify-token": "verify_token",
    "--target-webhook-url": "target_webhook_url",
    "--graph-version": "graph_version",
}
REFERENCE_OPTIONS = {
    "--db": "db_path",
    "--meta-graph-url": "meta_graph_url",
    "--meta-graph-version": "meta_graph_version",
    "--meta-app-id": "meta_app_id",
    "--meta-app-secret": "meta_app_secret",
    "--meta-verify-token": "meta_verify_token",
    "--meta-timeout": "meta_timeout_seconds",
    "--public-url": "public_url",
    "--webhook-ca-file": "webhook_ca_file",
    "--profile": "profile",
}


def add_arguments(parser: argparse.ArgumentParser, part: str) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind (default 0: any free port)")
    parser.add_argument("--ready-file", help="write {\"url\", \"pid\"} here once the server accepts connections")
    parser.add_argument("--log-level", default="warning")
    options = SIMULATOR_OPTIONS if part == "simulator" else REFERENCE_OPTIONS
    for option, field in options.items():
        parser.add_argument(option, dest=field, default=None)
    if part == "simulator":
        scale = parser.add_argument_group("scale-out (docs/scaling.md; needs the router: pip install "
                                          "'fiwano-conformance[scale]')")
        scale.add_argument("--workers", type=int, default=1,
                           help="N simulator processes behind one router (Caddy) on --host/--port, each owning the "
                                "worlds it creates (default 1: one process, no router)")
        scale.add_argument("--instance", dest="instance", type=int, default=None,
                           help="serve as instance I (0-based) of --instances N behind a router on another host")
        scale.add_argument("--instances", dest="instances", type=int, default=None,
                           help="how many instances the simulator is split into (with --instance)")
        scale.add_argument("--backend", action="append", default=[], metavar="URL",
                           help="start only the router, in front of these instances (repeatable; the i-th must run "
                                "with --instance i --instances N)")
        scale.add_argument("--print-router-config", action="store_true",
                           help="print the router's Caddyfile for the --backend URLs and exit")
    if part == "reference":
        parser.add_argument("--test-mode", dest="test_mode", action="store_true", default=None,
                            help="enable the harness API (/harness) and the virtual clock; never in production")
        parser.add_argument("--allow-webhook-host", dest="allow_webhook_hosts", action="append", default=None,
                            help="host exempted from the private-address rule for webhook_url (repeatable; tests only)")
        parser.add_argument("--no-speedups", dest="speedups", action="store_false", default=None,
                            help="serve every request through FastAPI and every Graph call through httpx "
                                 "(reference/speedups/ off; same answers, more CPU)")
        # the operator path (no harness, no test mode): `fiwano-conformance reference admin create-account ...`
        commands = parser.add_subparsers(dest="reference_command", metavar="COMMAND")
        from fiwano_conformance import admin_cmd

        admin_cmd.add_arguments(commands.add_parser(
            "admin", help="operator commands on the reference's database (create an account and its API key)",
            description="Operator commands on the reference's database, as a real implementation's admin path."))
    parser.set_defaults(_part=part)


def _given(args: argparse.Namespace, fields: list[str]) -> dict[str, Any]:
    return {field: getattr(args, field) for field in fields if getattr(args, field, None) is not None}


def run(args: argparse.Namespace) -> int:
    if getattr(args, "reference_command", None) == "admin":
        from fiwano_conformance import admin_cmd

        return admin_cmd.run(args)
    if args._part == "simulator" and (args.workers != 1 or args.backend or args.print_router_config):
        return _serve_split_simulator(args)
    if args._part == "simulator":
        from simulator.app import create_app as create_simulator
        from simulator.settings import SimulatorSettings

        from pydantic import ValidationError

        try:
            settings = SimulatorSettings(**_given(args, [*SIMULATOR_OPTIONS.values(), "instance", "instances"]))
        except ValidationError as exc:  # a configuration mistake: one line, exit 2
            import sys

            first = exc.errors()[0]
            where = ".".join(str(part) for part in first.get("loc", ())) or "settings"
            print(f"fiwano-conformance simulator: {where}: {first.get('msg')}", file=sys.stderr)
            return 2

        def factory(url: str):
            app = create_simulator(settings)
            # what exists now (modules, classes, the app) lives as long as the process: out of the collector's way,
            # so a full collection walks only what requests made (issue 17: under load the full collections over
            # ~100k start-up objects cost the hot paths tens of thousands of instructions per request); and young
            # collections every 10,000 allocations, not 700 (requests in flight kept crossing it)
            gc_tuning.tune_for_serving(10_000)
            return app
    else:
        from reference.app import create_app as create_reference
        from reference.settings import ReferenceSettings

        given = _given(args, [*REFERENCE_OPTIONS.values(), "test_mode", "allow_webhook_hosts", "speedups"])
        settings = ReferenceSettings(**given)

        def factory(url: str):
            app = create_reference(settings if settings.public_url
                                   else settings.model_copy(update={"public_url": url}))
            if settings.speedups:  # fewer, cheaper garbage collections (reference/speedups/gc_tuning.py)
                from reference.speedups.gc_tuning import tune_for_serving
                tune_for_serving()
            return app

    # a fake Meta holding a request open on purpose (a timeout fault) must not hold up its own shutdown;
    # the reference gets longer to finish what it is doing
    graceful = 1.0 if args._part == "simulator" else 5.0
    serve(factory, host=args.host, port=args.port, ready_file=args.ready_file, log_level=args.log_level,
          graceful_seconds=graceful)
    return 0


def _serve_split_simulator(args: argparse.Namespace) -> int:
    """``--workers N`` (N instances + the router here), ``--backend URL...`` (the router alone) or
    ``--print-router-config``; a contradictory combination is one line and exit 2."""
    import sys

    from fiwano_conformance import simulator_fleet

    prog = simulator_fleet.PROG
    problem = None
    if args.workers < 1:
        problem = f"--workers must be at least 1, not {args.workers}"
    elif args.workers > 100:
        problem = f"--workers {args.workers}: at most 100 instances (their owner tags have two digits)"
    elif args.instance is not None or args.instances is not None:
        problem = "--instance/--instances serve ONE instance; they cannot be combined with --workers or --backend"
    elif args.backend and args.workers != 1:
        problem = "give either --workers N (instances started here) or --backend URL (instances elsewhere)"
    elif args.print_router_config and len(args.backend) < 2:
        problem = "--print-router-config needs the instances' URLs: --backend URL at least twice"
    elif args.backend and len(args.backend) < 2:
        problem = "--backend: a router needs at least two instances (one simulator needs no router)"
    if problem:
        print(f"{prog}: {problem}", file=sys.stderr)
        return 2
    if args.print_router_config:
        from simulator.routing import caddyfile

        print(caddyfile(args.backend, args.host, args.port or 9100), end="")
        return 0
    options: list[str] = ["--log-level", args.log_level]
    for option, field in SIMULATOR_OPTIONS.items():
        if getattr(args, field, None) is not None:
            options += [option, str(getattr(args, field))]
    return simulator_fleet.serve_fleet(args.workers if not args.backend else 0, args.backend, options,
                                       args.host, args.port, args.ready_file)
