"""Run the suites against one mutant and say whether it was killed, and by which tests.

For a mutant, the runner starts the simulator and the mutated reference (through ``tests.mutants.launch``),
then runs, as a black-box pytest run against those URLs, every suite test that names one of the mutant's
requirement ids. The mutant is killed when at least one of those tests fails; a mutant that survives
means the suites assert too little for that rule.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import trustme

from fiwano_conformance import embedded
from fiwano_conformance.requirements_cmd import scan_suites
from suites.sink import CA_FILE_NAME, CA_KEY_FILE_NAME
from tests.mutants.catalogue import Mutant

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class MutantResult:
    mutant: Mutant
    tests_run: list[str]
    killed_by: list[str] = field(default_factory=list)
    pytest_exit: int | None = None
    output_tail: str = ""

    @property
    def killed(self) -> bool:
        return bool(self.killed_by)


def tests_for(requirements: tuple[str, ...]) -> list[str]:
    """Suite test node ids (``suites/test_x.py::test_y``) that name any of ``requirements``."""
    scan = scan_suites(ROOT / "suites")
    nodes = {node for req in requirements for node in scan.tests_by_req.get(req, [])}
    return sorted(nodes)


def ensure_kit_ca(ca_dir: Path) -> Path:
    """Write the kit CA the suites' sink will reuse, so the reference can be told to trust it up front."""
    ca_dir.mkdir(parents=True, exist_ok=True)
    cert, key = ca_dir / CA_FILE_NAME, ca_dir / CA_KEY_FILE_NAME
    if not (cert.is_file() and key.is_file()):
        ca = trustme.CA(organization_name="Fiwano conformance kit", organization_unit_name="mutants")
        ca.private_key_pem.write_to_path(str(key))
        ca.cert_pem.write_to_path(str(cert))
    return cert


def failed_tests(junit: Path) -> list[str]:
    if not junit.exists():
        return []
    failed = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        if any(child.tag in {"failure", "error"} for child in case):
            failed.append(f"{case.get('classname')}::{case.get('name')}")
    return failed


def run_mutant(mutant: Mutant, workdir: Path, timeout: float = 300) -> MutantResult:
    nodes = tests_for(mutant.requirements)
    result = MutantResult(mutant=mutant, tests_run=nodes)
    if not nodes:
        result.output_tail = f"no suite test names {mutant.requirements}"
        return result
    workdir.mkdir(parents=True, exist_ok=True)
    ca_file = ensure_kit_ca(workdir / "ca")
    app_secret, verify_token = secrets.token_hex(16), secrets.token_hex(12)
    simulator = embedded.start_simulator(workdir, app_secret, verify_token)
    reference = None
    try:
        reference = embedded.start_reference(
            workdir, simulator.url, app_secret, verify_token, ca_file, ["127.0.0.1", "localhost"], "default",
            launcher=(sys.executable, "-m", "tests.mutants.launch", mutant.name),
            extra_env={"PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))},
        )
        embedded.point_simulator_at(simulator.url, reference.url)
        junit = workdir / "junit.xml"
        command = [sys.executable, "-m", "pytest", *nodes, "-q", "-p", "no:cacheprovider",
                   f"--fiwano-target={reference.url}", f"--fiwano-simulator={simulator.url}",
                   f"--fiwano-harness={reference.url}", f"--fiwano-sink-ca-dir={ca_file.parent}",
                   f"--junitxml={junit}"]
        completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)
        result.pytest_exit = completed.returncode
        result.output_tail = "\n".join((completed.stdout + completed.stderr).splitlines()[-30:])
        if completed.returncode == 1:
            result.killed_by = failed_tests(junit)
    finally:
        if reference is not None:
            reference.stop()
        simulator.stop()
    return result
