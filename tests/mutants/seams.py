"""Checked seams: how a mutant's ``apply()`` swaps one component of the reference for its broken variant.

A mutant that rebinds a name by plain assignment (``reference.app.TemplateService = Broken``) keeps working
after the reference renames or moves that name: it then binds a name nobody reads, the reference runs
unbroken, and the mutant "survives" (or is "killed" for another reason). :func:`replace_component` and
:func:`wrap` fail the mutant's start instead, with the name to fix, when

* the target does not exist (renamed, moved, removed);
* the target is no longer the original: another seam already replaced it, or the object bound there is not
  the one its own module defines under that name (a stale alias);
* a class is replaced by a class that does not derive from it (a copy of reference logic instead of an
  override of one method);
* a function is replaced by one that cannot be called the way the original can (a parameter the reference
  added since, say ``echoes=``): the replacement would raise ``TypeError`` on every call, and the mutant would
  be "killed" by a crash instead of by its defect.

A route's settings (its status code or path) change through :func:`change_route`, with the same checks.

Each call is recorded (:func:`applied`), so tests/mutants/test_mutant_seams.py can check that every mutant
changes what it claims to change.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

REFERENCE = "reference"


class SeamError(AssertionError):
    """A mutant's target is gone or no longer the original: update the mutant to the reference's new shape."""


@dataclass(frozen=True)
class Seam:
    owner: str  # the module (or class) whose attribute was replaced, by qualified name
    name: str
    original: Any
    replacement: Any


_applied: list[Seam] = []


def _owner_name(owner: Any) -> str:
    if isinstance(owner, ModuleType):
        return owner.__name__
    return f"{owner.__module__}.{owner.__qualname__}"


def _of_the_reference(qualified: str) -> bool:
    return qualified == REFERENCE or qualified.startswith(REFERENCE + ".")


def _defined_original(value: Any) -> Any:
    """The object the value's own module defines under its name (None when that cannot be told)."""
    module, qualname = getattr(value, "__module__", None), getattr(value, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str) or "<locals>" in qualname:
        return None
    found: Any = sys.modules.get(module)
    for part in qualname.split("."):
        found = getattr(found, part, None)
    return found


def original(owner: Any, name: str) -> Any:
    """The reference's component ``owner.name``, checked to exist and to be still the original."""
    where = f"{_owner_name(owner)}.{name}"
    if not _of_the_reference(_owner_name(owner)):
        raise SeamError(f"{where}: a mutant changes the reference only, not {_owner_name(owner)}")
    if not hasattr(owner, name):
        raise SeamError(f"{where} does not exist (renamed or moved in the reference?): update the mutant")
    current = getattr(owner, name)
    if any(seam.replacement is current for seam in _applied):
        raise SeamError(f"{where} was already replaced by another seam: one defect per mutant")
    home = _defined_original(current)
    if home is not None and home is not current and _of_the_reference(str(current.__module__)):
        raise SeamError(f"{where} is not the object {current.__module__} defines as {current.__qualname__}: "
                        "it was replaced before the mutant ran")
    return current


def _signature(value: Any) -> inspect.Signature | None:
    try:
        return inspect.signature(value)
    except (TypeError, ValueError):  # a builtin without one
        return None


def _missing_parameters(found: Any, replacement: Any) -> list[str]:
    """The parameters of the function ``found`` that ``replacement`` does not take (empty when it takes all,
    or when either is no plain function)."""
    if not (inspect.isfunction(found) and inspect.isfunction(replacement)):
        return []
    theirs, ours = _signature(found), _signature(replacement)
    if theirs is None or ours is None:
        return []
    kinds = {p.kind for p in ours.parameters.values()}
    positional = [p for p in ours.parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    by_name = {p.name for p in ours.parameters.values() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    missing = []
    index = 0
    for param in theirs.parameters.values():
        if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            if index >= len(positional) and inspect.Parameter.VAR_POSITIONAL not in kinds:
                missing.append(param.name)
            index += 1
        elif param.kind == param.KEYWORD_ONLY:
            if param.name not in by_name and inspect.Parameter.VAR_KEYWORD not in kinds:
                missing.append(param.name)
    return missing


def replace_component(owner: Any, name: str, replacement: Any) -> Any:
    """Bind ``owner.name`` to ``replacement`` after checking the target; returns the original.

    A class is replaced only by a subclass of it (override the one method the defect is about)."""
    found = original(owner, name)
    if isinstance(found, type) and isinstance(replacement, type) and not issubclass(replacement, found):
        raise SeamError(f"{_owner_name(owner)}.{name}: {replacement.__qualname__} must derive from "
                        f"{found.__qualname__} (override one method instead of copying the class)")
    if replacement is found:
        raise SeamError(f"{_owner_name(owner)}.{name}: the replacement is the original, nothing would change")
    missing = _missing_parameters(found, replacement)
    if missing:
        raise SeamError(f"{_owner_name(owner)}.{name}: the replacement does not take {', '.join(missing)} "
                        "(the reference's signature changed?): take them and pass them on")
    setattr(owner, name, replacement)
    _applied.append(Seam(_owner_name(owner), name, found, replacement))
    return found


def wrap(owner: Any, name: str, make: Callable[[Any], Any]) -> Any:
    """Replace ``owner.name`` by ``make(original)`` (a wrapper that calls the original), after the checks."""
    found = original(owner, name)
    replacement = make(found)
    if replacement is found:
        raise SeamError(f"{_owner_name(owner)}.{name}: the wrapper is the original, nothing would change")
    missing = _missing_parameters(found, replacement)
    if missing:
        raise SeamError(f"{_owner_name(owner)}.{name}: the wrapper does not take {', '.join(missing)} "
                        "(the reference's signature changed?): take them and pass them on")
    setattr(owner, name, replacement)
    _applied.append(Seam(_owner_name(owner), name, found, replacement))
    return replacement


ROUTE_SETTINGS = ("status_code", "path")


def change_route(module: ModuleType, router: str, path: str, method: str, /, **changes: Any) -> Any:
    """Change a setting of ONE route of ``module.router`` (its ``status_code`` or ``path``), after the checks.

    A route's settings are given once, in its decorator; ``app.include_router`` copies them when the app is
    built (after ``apply()``), so this is where a defect such as "answers 202" or "mounted under /v1" lives.
    The route must exist with exactly this path and method, still serve the endpoint its module defines (no
    route here swaps an endpoint: replace a function the handler calls instead), and not be changed already.
    Returns the route."""
    found = original(module, router)
    where = f"{module.__name__}.{router}"
    matching = [(index, route) for index, route in enumerate(found.routes)
                if getattr(route, "path", None) == path and method in (getattr(route, "methods", None) or ())]
    if len(matching) != 1:
        raise SeamError(f"{where}: {len(matching)} routes {method} {path} (renamed or moved?): update the mutant")
    index, route = matching[0]
    endpoint = route.endpoint
    if getattr(module, getattr(endpoint, "__name__", ""), None) is not endpoint:
        raise SeamError(f"{where}: {method} {path} no longer serves the endpoint {module.__name__} defines")
    if any(seam.replacement is route for seam in _applied):
        raise SeamError(f"{where}: {method} {path} was already changed by another seam: one defect per mutant")
    if not changes or set(changes) - set(ROUTE_SETTINGS):
        raise SeamError(f"{where}: a route seam changes {' or '.join(ROUTE_SETTINGS)}, not {sorted(changes)}")
    before = {name: getattr(route, name) for name in changes}
    if before == changes:
        raise SeamError(f"{where}: {method} {path} already has {changes}: nothing would change")
    for name, value in changes.items():
        setattr(route, name, value)
    _applied.append(Seam(where, f"routes[{index}]", before, route))
    return route


def applied() -> list[Seam]:
    """The seams applied in this process, in order."""
    return list(_applied)


def forget() -> None:
    """Forget the applied seams (for a test that applies mutants one after the other in fresh processes)."""
    _applied.clear()
