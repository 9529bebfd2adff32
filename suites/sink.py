"""The sink: the customer's webhook endpoint, played by the suites ("east" side of the picture).

An HTTPS server (uvicorn in a background thread of the test process) on loopback. Its certificate is
issued by a kit CA made with ``trustme``; the CA is written as ``kit-ca.pem`` in a directory and the
target must trust it (the reference: ``--webhook-ca-file``).

Every test gets its own :class:`Endpoint` (path ``/hooks/<uuid>``). An endpoint keeps, per request, the
raw body bytes, the headers (raw, in order), and the arrival time (monotonic and wall clock); it answers
from a script (:class:`Reply`, :class:`Drop`), then with 200. :meth:`Endpoint.wait_for` blocks on a
condition variable until N requests arrived (bounded); :meth:`Endpoint.assert_none_within` watches for
a bounded time that nothing arrives.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Union

import uvicorn

from fiwano_conformance.shared.kit_ca import ca_file, ensure_ca

HOOK_PREFIX = "/hooks/"
#: After the target said it finished all due work (``POST /harness/settle``), how long a "nothing
#: arrives" check still watches. The settle contract (contract/harness.yaml) has every attempt made and its
#: outcome recorded before the answer, and the sink records a request before it replies, so nothing due
#: can still be on the wire: the watch is a margin for a scheduler hiccup only (169 such checks per run).
SETTLED_WATCH_SECONDS = 0.01


# ------------------------------------------------------------------------------------------- script


@dataclass(frozen=True)
class Reply:
    """Answer with ``status`` (after ``delay`` seconds, measured by the sink's event loop)."""

    status: int = 200
    delay: float = 0.0
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Drop:
    """Close the connection without any answer (after ``delay`` seconds)."""

    delay: float = 0.0


Action = Union[Reply, Drop, int]


def _as_action(action: Action) -> Reply | Drop:
    if isinstance(action, int):
        return Reply(status=action)
    if isinstance(action, (Reply, Drop)):
        return action
    raise TypeError(f"a sink script step is a Reply, a Drop or an int status, not {action!r}")


# ------------------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class SinkRequest:
    """One request as it reached the sink."""

    seq: int
    method: str
    path: str
    query: str
    raw_headers: tuple[tuple[str, str], ...]
    body: bytes
    received_monotonic: float
    received_at: datetime
    answered_with: str

    def header(self, name: str) -> str | None:
        """The first value of a header (case-insensitive), or None."""
        lower = name.lower()
        return next((v for k, v in self.raw_headers if k.lower() == lower), None)

    def header_values(self, name: str) -> list[str]:
        lower = name.lower()
        return [v for k, v in self.raw_headers if k.lower() == lower]

    @property
    def headers(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for k, v in self.raw_headers:
            out.setdefault(k.lower(), v)
        return out

    def json(self) -> Any:
        return json.loads(self.body)

    def describe(self, limit: int = 2000) -> str:
        body = self.body.decode("utf-8", "replace")
        if len(body) > limit:
            body = body[:limit] + f"... ({len(self.body)} bytes)"
        headers = "\n".join(f"    {k}: {v}" for k, v in self.raw_headers)
        return (f"#{self.seq} {self.method} {self.path}{'?' + self.query if self.query else ''} at "
                f"{self.received_at.isoformat()} -> {self.answered_with}\n{headers}\n    {body}")


class SinkTimeout(AssertionError):
    """Fewer requests than expected reached an endpoint within the bounded wait."""


class UnexpectedDelivery(AssertionError):
    """A request reached an endpoint that should have stayed quiet."""


class Endpoint:
    """One test's webhook URL on the sink, with its recorded requests and its reply script."""

    def __init__(self, sink: "Sink", hook_id: str, script: list[Action] | None = None) -> None:
        self.sink = sink
        self.id = hook_id
        self.path = HOOK_PREFIX + hook_id
        self.url = sink.public_url + self.path
        self._script: list[Reply | Drop] = [_as_action(a) for a in (script or [])]
        self._requests: list[SinkRequest] = []
        self._cond = threading.Condition()
        self.closed = False
        #: Set by the suites' ``sink`` fixture when the target offers ``POST /harness/settle``: a callable
        #: that returns True once the target has finished all work due now (False: not offered).
        self.settle: Callable[[], bool] | None = None

    def try_settle(self) -> bool:
        """Let the target finish every piece of work due now; False when it cannot be asked to."""
        return self.settle is not None and self.settle()

    # -- script
    def script(self, *actions: Action) -> "Endpoint":
        """Replace the reply script: the next requests get these answers in order, later ones 200."""
        with self._cond:
            self._script = [_as_action(a) for a in actions]
        return self

    def _next_action(self) -> Reply | Drop:
        with self._cond:
            return self._script.pop(0) if self._script else Reply(200)

    # -- records
    def _record(self, request: SinkRequest) -> None:
        with self._cond:
            self._requests.append(request)
            self._cond.notify_all()

    @property
    def requests(self) -> list[SinkRequest]:
        with self._cond:
            return list(self._requests)

    def wait_for(self, count: int = 1, timeout: float | None = None, what: str = "") -> list[SinkRequest]:
        """Block until at least ``count`` requests arrived (at most ``timeout`` seconds); return them all.

        Raises :class:`SinkTimeout` naming ``what`` was expected and what arrived instead.
        """
        timeout = self.sink.default_timeout if timeout is None else timeout
        with self._cond:
            arrived = self._cond.wait_for(lambda: len(self._requests) >= count, timeout=timeout)
            seen = list(self._requests)
        if not arrived:
            hint = f"\n  ({self.sink.trust_hint()})" if not seen and not self.sink.received_any else ""
            raise SinkTimeout(
                f"{what + ': ' if what else ''}expected {count} request(s) at the sink endpoint {self.path} within "
                f"{timeout:g}s, got {len(seen)}" + "".join("\n  " + r.describe(300) for r in seen) + hint)
        return seen

    def assert_none_within(self, seconds: float | None = None, what: str = "", already: int = 0) -> None:
        """Check that no request beyond the first ``already`` arrives.

        When the target can be asked to settle (``POST /harness/settle``), it first finishes all work due
        now, so a short watch suffices; otherwise the watch lasts ``seconds`` (bounded).
        """
        seconds = self.sink.default_quiet if seconds is None else seconds
        how = f"watched {seconds:g}s"
        if self.try_settle():
            seconds = min(seconds, SETTLED_WATCH_SECONDS)
            how = f"after the target settled all due work, watched {seconds:g}s more"
        with self._cond:
            arrived = self._cond.wait_for(lambda: len(self._requests) > already, timeout=seconds)
            seen = list(self._requests)
        if arrived:
            raise UnexpectedDelivery(
                f"{what + ': ' if what else ''}expected no request at the sink endpoint {self.path} "
                f"({how}), got {len(seen) - already}"
                + "".join("\n  " + r.describe(500) for r in seen[already:]))

    def close(self) -> None:
        self.closed = True
        self.sink._forget(self)

    def evidence(self) -> str:
        seen = self.requests
        if not seen:
            return f"{self.url}: no request arrived"
        return f"{self.url}: {len(seen)} request(s)\n" + "\n".join(r.describe() for r in seen)


# ------------------------------------------------------------------------------------------- server


class Sink:
    """The HTTPS sink server. Use :meth:`start` / :meth:`stop`, or as a context manager."""

    def __init__(self, ca_dir: Path, host: str = "127.0.0.1", public_url: str | None = None,
                 default_timeout: float = 10.0, default_quiet: float = 1.0) -> None:
        self.ca_dir = Path(ca_dir)
        self.host = host
        self._public_url = public_url.rstrip("/") if public_url else None
        self.default_timeout = default_timeout
        self.default_quiet = default_quiet
        self._endpoints: dict[str, Endpoint] = {}
        self._lock = threading.Lock()
        self._seq = 0
        self._thread: threading.Thread | None = None
        self._server: uvicorn.Server | None = None
        self.port: int | None = None
        self.unmatched: list[SinkRequest] = []
        #: True once any request reached this sink: a target that delivered before is trusting the CA
        self.received_any = False

    # -- the CA the target must trust
    @property
    def ca_file(self) -> Path:
        return ca_file(self.ca_dir)

    @property
    def public_url(self) -> str:
        if self._public_url:
            return self._public_url
        if self.port is None:
            raise RuntimeError("the sink is not started")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}"

    @property
    def public_host(self) -> str:
        from urllib.parse import urlsplit

        return urlsplit(self.public_url).hostname or self.host

    def trust_hint(self) -> str:
        """What a target must do for a delivery to reach this sink (said when nothing arrived)."""
        return (f"nothing reached the sink at {self.public_url}: the target must trust the kit CA "
                f"{self.ca_file.resolve()} for its webhook calls (the reference: --webhook-ca-file) and may need "
                f"to exempt {self.public_host} from a private-address rule (the reference: --allow-webhook-host); "
                "`fiwano-conformance doctor` checks this before a run")

    def _make_certificates(self) -> Path:
        ca = ensure_ca(self.ca_dir)  # reused when present, so a target configured once keeps trusting it
        names = {"127.0.0.1", "localhost", "::1", self.host}
        if self._public_url:
            from urllib.parse import urlsplit

            names.add(urlsplit(self._public_url).hostname or self.host)
        names.discard("0.0.0.0")
        names.discard("::")
        leaf = ca.issue_cert(*sorted(names))
        server_pem = self.ca_dir / f"sink-server-{os.getpid()}-{id(self)}.pem"
        server_pem.touch(mode=0o600)
        leaf.private_key_and_cert_chain_pem.write_to_path(str(server_pem))
        self._server_pem = server_pem
        return server_pem

    def start(self, timeout: float = 20.0) -> "Sink":
        server_pem = self._make_certificates()
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        sock.listen(512)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self._app, interface="asgi3", http="h11", lifespan="off", log_level="critical",
                                access_log=False, proxy_headers=False,
                                ssl_certfile=str(server_pem), timeout_keep_alive=5)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        name="fiwano-sink", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the HTTPS sink did not start")
            time.sleep(0.01)  # start-up poll, not a test timing rule
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None
        server_pem = getattr(self, "_server_pem", None)
        if server_pem is not None:
            server_pem.unlink(missing_ok=True)

    def __enter__(self) -> "Sink":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- endpoints
    def endpoint(self, *script: Action) -> Endpoint:
        """A fresh endpoint ``/hooks/<uuid>`` answering from ``script`` (then 200)."""
        ep = Endpoint(self, uuid.uuid4().hex, list(script))
        with self._lock:
            self._endpoints[ep.id] = ep
        return ep

    def _forget(self, ep: Endpoint) -> None:
        with self._lock:
            self._endpoints.pop(ep.id, None)

    # -- the ASGI app
    async def _app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        received_monotonic = time.monotonic()
        received_at = datetime.now(timezone.utc)
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        path: str = scope["path"]
        hook_id = path[len(HOOK_PREFIX):] if path.startswith(HOOK_PREFIX) else None
        with self._lock:
            endpoint = self._endpoints.get(hook_id) if hook_id else None
            self._seq += 1
            seq = self._seq
        action: Reply | Drop = endpoint._next_action() if endpoint else Reply(404, body=b'{"detail":"no such hook"}')
        answered = f"drop after {action.delay:g}s" if isinstance(action, Drop) else (
            f"{action.status}" + (f" after {action.delay:g}s" if action.delay else ""))
        record = SinkRequest(
            seq=seq, method=scope["method"], path=path, query=scope.get("query_string", b"").decode("latin-1"),
            raw_headers=tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]),
            body=b"".join(chunks), received_monotonic=received_monotonic, received_at=received_at,
            answered_with=answered)
        self.received_any = True
        if endpoint is not None:
            endpoint._record(record)
        else:
            with self._lock:
                self.unmatched.append(record)
        if action.delay:
            await asyncio.sleep(action.delay)  # the scripted slow receiver (runs in the sink's loop)
        if isinstance(action, Drop):
            transport = getattr(getattr(send, "__self__", None), "transport", None)
            if transport is not None:
                transport.abort()
                await asyncio.sleep(0)
                return
            raise ConnectionAbortedError("sink: scripted drop")  # fallback: the server closes the connection
        headers = [(b"content-type", b"application/json")] + [
            (k.encode("latin-1"), v.encode("latin-1")) for k, v in action.headers]
        body = action.body if action.body else b'{"ok":true}' if 200 <= action.status < 300 else b'{"ok":false}'
        await send({"type": "http.response.start", "status": action.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
