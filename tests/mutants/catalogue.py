"""The catalogue of mutants: deliberately broken variants of the reference, one defect each.

A mutant is a module in ``tests/mutants/defects/`` named after its defect, with a docstring that says
what is broken, ``REQUIREMENTS`` (the requirement ids whose tests must fail) and ``apply()``, which
replaces or wraps one component of the reference from the outside before the app is built. The
reference itself holds no defect switches.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from types import ModuleType

from tests.mutants import defects

PACKAGE = defects.__name__


@dataclass(frozen=True)
class Mutant:
    name: str
    defect: str
    requirements: tuple[str, ...]

    @property
    def module(self) -> ModuleType:
        return importlib.import_module(f"{PACKAGE}.{self.name}")


def load(name: str) -> Mutant:
    module = importlib.import_module(f"{PACKAGE}.{name}")
    doc = (module.__doc__ or "").strip().splitlines()
    return Mutant(name=name, defect=doc[0] if doc else name, requirements=tuple(module.REQUIREMENTS))


def all_mutants() -> list[Mutant]:
    names = sorted(info.name for info in pkgutil.iter_modules(defects.__path__) if not info.name.startswith("_"))
    return [load(name) for name in names]
