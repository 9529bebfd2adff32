"""Start a part of the kit with one mutant applied: ``python -m fiwano_conformance.selftest.launch NAME reference ...``.

Used as the launcher of ``fiwano_conformance.embedded.start_reference``: the mutant's ``apply()`` runs in
the server process before the CLI builds the app, so the same command line serves the broken variant.
"""

from __future__ import annotations

import sys

from fiwano_conformance.selftest.catalogue import load


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m fiwano_conformance.selftest.launch MUTANT <fiwano-conformance arguments>", file=sys.stderr)
        return 2
    load(argv[0]).module.apply()
    from fiwano_conformance.cli import main as cli_main

    return cli_main(argv[1:])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
