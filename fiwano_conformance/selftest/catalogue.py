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
    def profile(self) -> str:
        """The profile the mutant runs under: the one that introduced its requirements (docs/profiles.md);
        ``default`` for the rules of the v1 docs."""
        import contract

        catalogue = contract.load_requirements()
        introduced = {contract.requirement_profile(catalogue[rid]) for rid in self.requirements if rid in catalogue}
        later = sorted(introduced - {"default"})
        return later[0] if later else "default"

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
