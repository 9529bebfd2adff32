"""The kit CA: the one certificate authority a target must trust to deliver webhooks to the kit's sinks.

One story for every part of the kit: the suites' sink, the load tests' sink, the mutant runner, the docs
and ``fiwano-conformance ca create`` all use :func:`ensure_ca` on one directory, by default
:func:`default_ca_dir` (``$XDG_CACHE_HOME/fiwano-conformance/kit-ca``, else
``~/.cache/fiwano-conformance/kit-ca``; ``FIWANO_SINK_CA_DIR`` overrides it). The directory holds
``kit-ca.pem`` (the certificate to trust) and ``kit-ca.key`` (mode 0600). Once made, the CA is reused
by every later run, so a target is configured to trust it once.

Creating is idempotent and safe when several processes race (xdist workers, two CI jobs on one box): an
exclusive ``flock`` on ``.kit-ca.lock`` serialises them, and each file is written under a temporary name
and renamed into place, the certificate last, so a reader never sees a half-written pair.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import trustme

CA_FILE_NAME = "kit-ca.pem"
CA_KEY_FILE_NAME = "kit-ca.key"
LOCK_FILE_NAME = ".kit-ca.lock"
CA_DIR_ENV = "FIWANO_SINK_CA_DIR"


def default_ca_dir() -> Path:
    """Where the kit CA lives unless a run names another directory (reused across runs)."""
    override = os.environ.get(CA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache).expanduser() / "fiwano-conformance" / "kit-ca"


def ca_file(ca_dir: Path | str | None = None) -> Path:
    """The certificate file a target must trust (it may not exist yet)."""
    return Path(ca_dir or default_ca_dir()) / CA_FILE_NAME


def _write_atomically(path: Path, data: bytes, mode: int) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def ensure_ca(ca_dir: Path | str | None = None) -> trustme.CA:
    """The kit CA of ``ca_dir`` (default :func:`default_ca_dir`): loaded when present, created otherwise."""
    import fcntl

    directory = Path(ca_dir or default_ca_dir())
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / CA_FILE_NAME, directory / CA_KEY_FILE_NAME
    with (directory / LOCK_FILE_NAME).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if cert.is_file() and key.is_file():
            return trustme.CA.from_pem(cert.read_bytes(), key.read_bytes())
        ca = trustme.CA(organization_name="Fiwano conformance kit", organization_unit_name="kit CA")
        _write_atomically(key, ca.private_key_pem.bytes(), 0o600)
        _write_atomically(cert, ca.cert_pem.bytes(), 0o644)
        return ca


def ensure_ca_file(ca_dir: Path | str | None = None) -> Path:
    """Make sure the kit CA exists and return its certificate file (what a target must trust)."""
    ensure_ca(ca_dir)
    return ca_file(ca_dir)
