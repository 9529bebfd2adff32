"""Every mutant changes what it claims to change, through a checked seam (tests/mutants/seams.py).

tests/mutants/seam_check.py applies each mutant in a fresh fork of one warm process (no app, no server: a few
seconds for the catalogue) and compares every binding of the reference before and after. A mutant must
change something, and every change must be one its ``apply()`` made through ``replace_component``/``wrap``,
which fail when the target was renamed, moved or already replaced; a route's status code or path changes
through ``change_route``, with the same checks. No mutant patches function code or a route's endpoint: where a
defect lives inside a handler, the handler calls a small function of its module (``deactivate_owned_channel``,
``redirect_allowed``, ``sync_requested`` ...) and the mutant replaces that one function.
"""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import pytest
from fastapi import APIRouter

from tests.mutants import seams
from fiwano_conformance.selftest.catalogue import all_mutants

ROOT = Path(__file__).resolve().parents[2]


def _explained(change: str, by: list[str]) -> bool:
    return any(change == seam or change.startswith((seam + ".", seam + "[")) for seam in by)


@pytest.fixture(scope="module")
def report() -> dict[str, dict]:
    result = subprocess.run([sys.executable, "-m", "tests.mutants.seam_check"], cwd=ROOT, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return {row["name"]: row for row in rows}


def test_every_mutant_applies_and_changes_the_reference(report):
    assert set(report) == {mutant.name for mutant in all_mutants()}
    errors = {name: row["error"] for name, row in report.items() if row["error"]}
    assert not errors, "\n".join(f"{name}: {error}" for name, error in errors.items())
    unchanged = sorted(name for name, row in report.items() if not row["changed"])
    assert not unchanged, f"these mutants change nothing in the reference (a stale name?): {unchanged}"


def test_every_change_goes_through_a_checked_seam(report):
    unchecked = {name: [c for c in row["changed"] if not _explained(c, row["seams"])]
                 for name, row in report.items()}
    unchecked = {name: changes for name, changes in unchecked.items() if changes}
    assert not unchecked, ("change the reference through tests/mutants/seams.py (replace_component/wrap): "
                           + json.dumps(unchecked, indent=1))


# ------------------------------------------------------------------------------------------- the seams


@pytest.fixture()
def probe(monkeypatch):
    """A stand-in reference module with a class, a function and a constant (nothing of the real one changes)."""
    module = types.ModuleType("reference._seam_probe")

    class Service:
        def send(self) -> str:
            return "sent"

    def limit(scale: int = 1, *, strict: bool = False) -> int:
        return 4096 * scale

    async def create() -> dict:
        return {}

    for value in (Service, limit, create):
        value.__module__, value.__qualname__ = module.__name__, value.__name__
    module.Service, module.limit, module.MAX, module.create = Service, limit, 64, create
    module.router = APIRouter(prefix="/api/v1")
    module.router.add_api_route("/things", create, methods=["POST"], status_code=201)
    monkeypatch.setitem(sys.modules, module.__name__, module)
    seams.forget()
    yield module
    seams.forget()


def test_a_seam_replaces_and_records(probe):
    original = probe.Service

    class Broken(original):
        def send(self) -> str:
            return "lost"

    assert seams.replace_component(probe, "Service", Broken) is original
    assert probe.Service is Broken
    wrapped = seams.wrap(probe, "limit", lambda limit: lambda *args, **options: limit(*args, **options) + 1)
    assert probe.limit is wrapped and probe.limit() == 4097
    assert [(s.owner, s.name) for s in seams.applied()] == [("reference._seam_probe", "Service"),
                                                            ("reference._seam_probe", "limit")]


@pytest.mark.parametrize("replacement", [lambda scale=1, **options: 1, lambda *args, strict=False: 1],
                         ids=["kwargs", "args"])
def test_a_seam_takes_a_replacement_that_takes_every_parameter(probe, replacement):
    seams.replace_component(probe, "limit", replacement)
    assert probe.limit(2, strict=True) == 1


@pytest.mark.parametrize("case", ["missing", "twice", "copied class", "stale alias", "not the reference",
                                  "keyword not taken", "positional not taken", "wrapper narrower"])
def test_a_seam_refuses_a_target_that_is_not_the_original(probe, case):
    with pytest.raises(seams.SeamError):
        if case == "missing":
            seams.replace_component(probe, "Servce", object)
        elif case == "twice":
            seams.replace_component(probe, "MAX", 65)
            seams.replace_component(probe, "MAX", 66)
        elif case == "copied class":
            seams.replace_component(probe, "Service", type("Copy", (), {"send": lambda self: "lost"}))
        elif case == "stale alias":
            alias = types.ModuleType("reference._seam_alias")
            alias.limit = probe.limit
            probe.limit = lambda: 1  # the home's name now means something else: the alias is stale
            probe.limit.__module__, probe.limit.__qualname__ = probe.__name__, "limit"
            seams.replace_component(alias, "limit", lambda: 2)
        elif case == "keyword not taken":   # a parameter the reference added since: TypeError on every call
            seams.replace_component(probe, "limit", lambda scale=1: 1)
        elif case == "positional not taken":
            seams.replace_component(probe, "limit", lambda *, strict=False: 1)
        elif case == "wrapper narrower":
            seams.wrap(probe, "limit", lambda limit: lambda: limit() + 1)
        else:
            seams.replace_component(types.ModuleType("httpx_probe"), "x", 1)


def test_a_route_seam_changes_one_setting_of_one_route(probe):
    route = seams.change_route(probe, "router", "/api/v1/things", "POST", status_code=202)
    assert probe.router.routes[0] is route and route.status_code == 202
    assert [(s.owner, s.name, s.original) for s in seams.applied()] == [
        ("reference._seam_probe.router", "routes[0]", {"status_code": 201})]


@pytest.mark.parametrize("case", ["renamed path", "other method", "changed twice", "swapped endpoint", "no change",
                                  "not a setting"])
def test_a_route_seam_refuses_a_route_that_is_not_the_original(probe, case):
    with pytest.raises(seams.SeamError):
        if case == "renamed path":
            seams.change_route(probe, "router", "/api/v1/thing", "POST", status_code=202)
        elif case == "other method":
            seams.change_route(probe, "router", "/api/v1/things", "GET", status_code=202)
        elif case == "changed twice":
            seams.change_route(probe, "router", "/api/v1/things", "POST", status_code=202)
            seams.change_route(probe, "router", "/api/v1/things", "POST", path="/v1/things")
        elif case == "swapped endpoint":
            async def create() -> dict:  # a copy of the handler, defined elsewhere (as a mutant would)
                return {"copied": True}
            probe.router.routes[0].endpoint = create
            seams.change_route(probe, "router", "/api/v1/things", "POST", status_code=202)
        elif case == "no change":
            seams.change_route(probe, "router", "/api/v1/things", "POST", status_code=201)
        else:
            seams.change_route(probe, "router", "/api/v1/things", "POST", endpoint=probe.limit)
