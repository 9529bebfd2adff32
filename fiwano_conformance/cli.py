"""The ``fiwano-conformance`` command.

Each subcommand lives in its own module with ``add_arguments(parser)`` and ``run(args) -> int``; this
file only wires them together and imports a subcommand's module when it is used, so that serving the
simulator never imports the reference and vice versa.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Any

# name -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "run": ("fiwano_conformance.run_cmd", "run the suites (against the embedded pair unless --target is given)"),
    "doctor": ("fiwano_conformance.doctor", "check a run's setup (target, keys, level, simulator, sink CA, config)"),
    "ca": ("fiwano_conformance.ca_cmd", "the kit CA a target must trust for webhooks: create it, print its path"),
    "simulator": ("fiwano_conformance.serve_cmd", "serve the fake Meta (simulator) standalone"),
    "reference": ("fiwano_conformance.serve_cmd", "serve the reference Fiwano standalone"),
    "requirements": ("fiwano_conformance.requirements_cmd", "list requirements and the tests that cover them"),
    "load": ("fiwano_conformance.load_cmd", "run a Locust load profile with pass/fail gates"),
    "report": ("fiwano_conformance.report_cmd", "render or compare conformance results"),
    "selftest": ("fiwano_conformance.selftest_cmd", "prove the suites: mutants must be killed; hunt flaky tests"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fiwano-conformance",
        description="Conformance kit for the Fiwano API: fake Meta, reference implementation, suites.",
    )
    parser.add_argument("--version", action=_VersionAction, nargs=0, help="print the kit's version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(_module=module_name)
        module = _load(module_name)
        if module is None:
            command.set_defaults(_missing=True)
            continue
        if module_name == "fiwano_conformance.serve_cmd":
            module.add_arguments(command, name)
        else:
            module.add_arguments(command)
    return parser


class _VersionAction(argparse.Action):
    """``--version``, computed only when asked for: every server the kit starts parses its command line, and
    the version reads the requirement catalogue."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        print(f"{parser.prog} {kit_version()}")  # on stdout, as argparse's own "version" action
        parser.exit()


def kit_version() -> str:
    """The installed distribution's version, plus the contract's requirements version it judges against."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        kit = version("fiwano-conformance")
    except PackageNotFoundError:
        kit = "unknown (not installed)"
    try:
        from contract import REQUIREMENTS_FILE, _read_yaml

        return f"{kit} (contract requirements v{_read_yaml(REQUIREMENTS_FILE).get('version')})"
    except Exception:  # noqa: BLE001 - the version must print even from a broken installation
        return kit


def _load(module_name: str):
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise


KIT_PACKAGES = ("suites", "reports", "contract", "simulator", "reference", "loadtests")


def prefer_the_kits_packages() -> None:
    """Put the kit's own root first on sys.path when a package of the user's (PYTHONPATH, a .pth file)
    would shadow one of the kit's generic top-level names (a project with its own ``reports`` package).

    The installed distribution keeps those names for now; this makes the command itself use its own
    packages whatever is on the path (``run`` does the same for its pytest child)."""
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    for name in KIT_PACKAGES:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        origin = Path(spec.origin).resolve() if spec is not None and spec.origin else None
        if (root / name).is_dir() and (origin is None or root not in origin.parents):
            sys.path.insert(0, str(root))
            return


def main(argv: list[str] | None = None) -> int:
    prefer_the_kits_packages()
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if getattr(args, "_missing", False):
        print(f"fiwano-conformance {args.command}: not available in this build", file=sys.stderr)
        return 2
    module = importlib.import_module(args._module)
    if extra and not getattr(module, "ACCEPTS_EXTRA_ARGS", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if getattr(module, "ACCEPTS_EXTRA_ARGS", False):
        args.extra = extra
    return int(module.run(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
