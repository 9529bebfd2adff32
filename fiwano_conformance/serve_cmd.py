"""``fiwano-conformance simulator`` and ``fiwano-conformance reference``: serve one part standalone.

Options map one to one onto the part's settings class (``SimulatorSettings`` / ``ReferenceSettings``);
an option left out falls back to the settings' own env variables (``FIWANO_SIM_*`` / ``FIWANO_REF_*``)
and defaults.
"""

from __future__ import annotations

import argparse
from typing import Any

from fiwano_conformance.serving import serve

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
    if part == "reference":
        parser.add_argument("--test-mode", dest="test_mode", action="store_true", default=None,
                            help="enable the harness API (/harness) and the virtual clock; never in production")
        parser.add_argument("--allow-webhook-host", dest="allow_webhook_hosts", action="append", default=None,
                            help="host exempted from the private-address rule for webhook_url (repeatable; tests only)")
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
    if args._part == "simulator":
        from simulator.app import create_app as create_simulator
        from simulator.settings import SimulatorSettings

        settings = SimulatorSettings(**_given(args, list(SIMULATOR_OPTIONS.values())))

        def factory(url: str):
            return create_simulator(settings)
    else:
        from reference.app import create_app as create_reference
        from reference.settings import ReferenceSettings

        given = _given(args, [*REFERENCE_OPTIONS.values(), "test_mode", "allow_webhook_hosts"])
        settings = ReferenceSettings(**given)

        def factory(url: str):
            if not settings.public_url:
                return create_reference(settings.model_copy(update={"public_url": url}))
            return create_reference(settings)

    # a fake Meta holding a request open on purpose (a timeout fault) must not hold up its own shutdown;
    # the reference gets longer to finish what it is doing
    graceful = 1.0 if args._part == "simulator" else 5.0
    serve(factory, host=args.host, port=args.port, ready_file=args.ready_file, log_level=args.log_level,
          graceful_seconds=graceful)
    return 0
