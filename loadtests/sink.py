"""The load run's webhook sink: an HTTPS server that records every customer webhook the target relays.

The suites have their own sink (``suites/sink.py``) with scripted replies per test; the load tests may not
import the suites (house rule), and need something simpler and faster: one endpoint per channel
(``/hooks/<channel_id>``), always answering 200 at once, keeping the raw bytes, headers and arrival time of
every request for the post-run reconciliation. TLS uses the kit CA convention: ``<ca_dir>/kit-ca.pem`` is the
certificate the target must trust (the embedded pair is started with it).
"""

from __future__ import annotations

import base64
import json
import ssl
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


from fiwano_conformance.shared.kit_ca import ca_file, ensure_ca

@dataclass(frozen=True)
class SinkRecord:
    seq: int
    path: str
    headers: dict[str, str]   # lower-cased names
    body: bytes
    arrived: float
    answered: float
    status: int

    def as_json(self) -> dict:
        try:
            body = {"body": self.body.decode("utf-8")}
        except UnicodeDecodeError:
            body = {"body_b64": base64.b64encode(self.body).decode("ascii")}
        return {"seq": self.seq, "path": self.path, "headers": self.headers, **body, "arrived": self.arrived,
                "answered": self.answered, "status": self.status}

    @classmethod
    def from_json(cls, data: dict) -> "SinkRecord":
        body = data["body"].encode("utf-8") if "body" in data else base64.b64decode(data["body_b64"])
        return cls(seq=data["seq"], path=data["path"], headers=data["headers"], body=body,
                   arrived=data["arrived"], answered=data["answered"], status=data["status"])


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive: the target may reuse its connections

    def do_POST(self) -> None:  # http.server naming
        arrived = time.time()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status = 200 if self.path.startswith("/hooks/") else 404
        payload = b"{}"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        self.server.sink._add(self.path, {k.lower(): v for k, v in self.headers.items()}, body, arrived,
                              time.time(), status)

    def log_message(self, format: str, *args) -> None:  # silence per-request logging
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024


class _SharedPortServer(_Server):
    """One of several sink processes on one port (SO_REUSEPORT: the kernel spreads connections over them)."""

    allow_reuse_port = True


class Sink:
    """Start with :meth:`start`; ``url`` is what the target must be given; :meth:`records` after the run."""

    def __init__(self, ca_dir: Path, host: str = "127.0.0.1", port: int = 0, public_url: str | None = None,
                 shared_port: bool = False, record_file: Path | None = None):
        """``shared_port``: bind with SO_REUSEPORT, as one worker of a pool (loadtests/sink_pool.py);
        ``record_file``: also append every record to this JSONL file as it arrives (flushed per line)."""
        self._ca = ensure_ca(ca_dir)  # the kit's one CA (fiwano_conformance/shared/kit_ca.py)
        self.ca_file = ca_file(ca_dir)
        self._host, self._port, self._public_url = host, port, public_url
        self._shared_port = shared_port
        self._lock = threading.Lock()
        self._records: list[SinkRecord] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._record_file = record_file.open("a", encoding="utf-8") if record_file is not None else None

    def start(self) -> "Sink":
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        names = sorted({self._host if self._host not in ("0.0.0.0", "::", "") else "127.0.0.1",
                        "127.0.0.1", "localhost"})
        self._ca.issue_cert(*names).configure_cert(context)
        self._server = (_SharedPortServer if self._shared_port else _Server)((self._host, self._port), _Handler)
        # the handshake happens in the handler thread, so a slow client cannot stall the accept loop
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True,
                                                  do_handshake_on_connect=False)
        self._server.sink = self
        self._thread = threading.Thread(target=self._server.serve_forever, name="fiwano-load-sink", daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        if self._public_url:
            return self._public_url.rstrip("/")
        host, port = self._server.server_address[:2]
        return f"https://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"

    def _add(self, path: str, headers: dict, body: bytes, arrived: float, answered: float, status: int) -> None:
        with self._lock:
            record = SinkRecord(len(self._records), path, headers, body, arrived, answered, status)
            self._records.append(record)
            if self._record_file is not None:
                self._record_file.write(json.dumps(record.as_json()) + "\n")
                self._record_file.flush()

    def records(self) -> list[SinkRecord]:
        with self._lock:
            return list(self._records)

    def count(self) -> int:
        with self._lock:
            return len(self._records)

    def write_jsonl(self, path: Path) -> None:
        with Path(path).open("w", encoding="utf-8") as handle:
            for record in self.records():
                handle.write(json.dumps(record.as_json()) + "\n")

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:
            if self._record_file is not None:
                self._record_file.close()
                self._record_file = None
