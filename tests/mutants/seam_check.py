"""Apply every mutant, each in a fresh fork of one warm process, and report what its ``apply()`` changed.

``python -m tests.mutants.seam_check [NAME ...]`` prints one JSON object per mutant: ``changed`` (the reference
bindings whose object differs after ``apply()``: module attributes, members of the reference's classes, the
code of its functions, the contents of its module-level tables and the endpoint, path and status of its
routes), ``seams`` (what went through tests/mutants/seams.py)
and ``error``. No app is built and no server started: about a second for the whole catalogue.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import sys
import traceback
from typing import Any

from tests.mutants import seams
from fiwano_conformance.selftest.catalogue import all_mutants, load


def _reference_modules() -> dict[str, Any]:
    return {name: module for name, module in list(sys.modules.items())
            if module is not None and (name == "reference" or name.startswith("reference."))}


def bindings() -> dict[str, int]:
    """Identity of every object the reference binds by name (see the module docstring)."""
    out: dict[str, int] = {}
    for modname, module in _reference_modules().items():
        for key, value in list(vars(module).items()):
            where = f"{modname}.{key}"
            out[where] = id(value)
            code = getattr(value, "__code__", None)
            if code is not None:
                out[where + ".__code__"] = id(code)
            if isinstance(value, type) and value.__module__ == modname:
                for attr, member in list(vars(value).items()):
                    out[f"{where}.{attr}"] = id(member)
            if isinstance(value, (dict, list, set, frozenset, tuple)):
                out[where + "[contents]"] = hash(repr(value))
            routes = None if isinstance(value, type) else getattr(value, "routes", None)
            for index, route in enumerate(routes if isinstance(routes, list) else []):
                out[f"{where}.routes[{index}]"] = hash((id(getattr(route, "endpoint", None)), getattr(route, "path", None),
                                                       getattr(route, "status_code", None)))
    return out


def import_the_reference() -> None:
    import reference
    import reference.app  # what every mutant's apply() patches is imported by the app

    for info in pkgutil.walk_packages(reference.__path__, "reference."):
        importlib.import_module(info.name)


def check_one(name: str) -> dict[str, Any]:
    """Fork, apply the mutant in the child, compare; the parent's reference stays untouched."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: apply, report, leave without running any cleanup of the parent's
        os.close(read_end)
        answer: dict[str, Any] = {"name": name, "changed": [], "seams": [], "error": None}
        try:
            before = bindings()
            load(name).module.apply()
            after = bindings()
            answer["changed"] = sorted(key for key, ident in before.items() if after.get(key) != ident)
            answer["seams"] = [f"{seam.owner}.{seam.name}" for seam in seams.applied()]
        except BaseException as exc:  # noqa: BLE001 - reported to the parent as this mutant's error
            answer["error"] = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=4)}"
        with os.fdopen(write_end, "w") as out:
            out.write(json.dumps(answer))
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as source:
        text = source.read()
    os.waitpid(pid, 0)
    return json.loads(text) if text else {"name": name, "changed": [], "seams": [], "error": "the child died"}


def main(argv: list[str]) -> int:
    import_the_reference()
    names = argv or [mutant.name for mutant in all_mutants()]
    for name in names:
        print(json.dumps(check_one(name)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
