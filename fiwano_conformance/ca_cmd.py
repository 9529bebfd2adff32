"""``fiwano-conformance ca``: the kit CA a target must trust to deliver webhooks to the kit's sinks.

``ca create [DIR]`` makes the CA once (idempotent: an existing one is kept) and prints the certificate
file, so a script can hand it to the target: ``--webhook-ca-file "$(fiwano-conformance ca create)"``.
``ca path [DIR]`` prints where it is (or would be) without creating it. Without DIR both use the default
directory that every run reuses (fiwano_conformance/shared/kit_ca.py).
"""

from __future__ import annotations

import argparse
import sys

from fiwano_conformance.shared import kit_ca


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="ca_action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="create the kit CA (kept if it exists); print kit-ca.pem's path")
    path = actions.add_parser("path", help="print kit-ca.pem's path without creating it")
    for action in (create, path):
        action.add_argument("dir", nargs="?", help=f"CA directory (default {kit_ca.default_ca_dir()}, "
                                                   f"or ${kit_ca.CA_DIR_ENV})")


def run(args: argparse.Namespace) -> int:
    if args.ca_action == "create":
        try:
            print(kit_ca.ensure_ca_file(args.dir))
        except OSError as exc:
            print(f"fiwano-conformance ca create: cannot write the kit CA: {exc}", file=sys.stderr)
            return 2
        return 0
    print(kit_ca.ca_file(args.dir))
    return 0
