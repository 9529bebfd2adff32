"""Thin HTTP clients of the target (north side) that record every exchange as evidence.

* :class:`FiwanoClient`: the Fiwano REST API v1 with one API key (``X-API-Key``);
* :class:`HarnessClient`: the target's optional harness API (``/harness``, controlled level), the kit's one
  harness client (fiwano_conformance/shared/harness.py) recording what it exchanges.

The Fiwano client returns :class:`httpx.Response` objects unchanged: the tests assert on status and body
themselves.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import httpx

from fiwano_conformance.shared import harness as shared_harness
from fiwano_conformance.shared.harness import HarnessError
from suites.evidence import Evidence
from suites.redact import register_secret

__all__ = ["API_PREFIX", "FiwanoClient", "HarnessClient", "HarnessError", "tls_verify"]

API_PREFIX = "/api/v1"
_UNSET: Any = object()
_SSL_CONTEXTS: dict[Any, Any] = {}


def tls_verify(verify: Any = True) -> Any:
    """The SSL context for ``verify`` (True, a CA file path, or False), built once per process.

    httpx builds a fresh context, reading the whole CA bundle, for every client it creates unless it is
    given one: tens of milliseconds of CPU per client, and the suites create several clients per test.
    """
    if isinstance(verify, (bool, str)):
        if verify not in _SSL_CONTEXTS:
            _SSL_CONTEXTS[verify] = httpx.create_ssl_context(verify=verify)
        return _SSL_CONTEXTS[verify]
    return verify


class _Recording:
    side = "north"

    def __init__(self, base_url: str, evidence: Evidence | None = None, timeout: float = 30.0,
                 verify: Any = True) -> None:
        self.base_url = base_url.rstrip("/")
        self.evidence = evidence
        self.timeout = timeout
        self.verify = verify
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, verify=tls_verify(verify),
                                  follow_redirects=False)

    def close(self) -> None:
        self._http.close()

    def _send(self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        request = self._http.build_request(method, path, headers=headers, **kwargs)
        started = time.monotonic()
        try:
            response = self._http.send(request)
        except httpx.HTTPError as exc:
            if self.evidence is not None:
                self.evidence.record_httpx(self.side, request=request, error=exc)
            raise
        elapsed = (time.monotonic() - started) * 1000
        if self.evidence is not None:
            self.evidence.record_httpx(self.side, response=response, elapsed_ms=elapsed)
        return response


MAX_PATIENCE = 65.0


def _retry_after(response: httpx.Response) -> float:
    """Seconds a 429 asks to wait (``Retry-After`` in seconds; else a whole one-minute window)."""
    try:
        return max(0.0, float(response.headers.get("retry-after", "")))
    except ValueError:
        return 60.0


class FiwanoClient(_Recording):
    """The Fiwano REST API as a customer uses it: base URL + one API key."""

    def __init__(self, base_url: str, api_key: str | None, evidence: Evidence | None = None,
                 timeout: float = 30.0, verify: Any = True) -> None:
        super().__init__(base_url, evidence, timeout, verify)
        self.api_key = api_key
        #: Wait out a 429 (``Retry-After``, at most ``MAX_PATIENCE`` s) and ask again. Set for the keys of an
        #: api-level run, which tests share and so may exhaust; never for tests that count 429s.
        self.patient = False
        #: How a patient client waits: ``time.sleep`` (None), or the virtual clock of a run under a profile with
        #: a per-second request limit (suites/fixtures.py ``account``): time moves, nobody sleeps.
        self.wait_out: Callable[[float], Any] | None = None
        #: The channels the key's account already had when this test got the key: a shared key (no harness)
        #: belongs to an account earlier tests connected channels to; a fresh account has none.
        self.earlier_channels: frozenset[str] = frozenset()
        register_secret(api_key)

    def own_channels(self, listing: Any) -> list[Any]:
        """The channels of a ``GET /channels`` body (or its ``channels`` list) this test's account did not
        have before the test: everything for a fresh account, the test's own ones for a shared key."""
        items = listing.get("channels") if isinstance(listing, dict) else listing
        return [c for c in items or [] if not (isinstance(c, dict) and c.get("id") in self.earlier_channels)]

    def request(self, method: str, path: str, *, json: Any = _UNSET, content: bytes | str | None = None,
                api_key: str | None = _UNSET, headers: dict[str, str] | None = None,
                params: dict[str, Any] | None = None, patient: bool | None = None) -> httpx.Response:
        """``path`` is relative to /api/v1 unless it starts with it. ``api_key=None`` sends no key header.

        ``patient`` (default: the client's) waits out a 429 and repeats the request (see :attr:`patient`).
        """
        if not path.startswith(API_PREFIX):
            path = API_PREFIX + (path if path.startswith("/") else "/" + path)
        key = self.api_key if api_key is _UNSET else api_key
        all_headers = {"Accept": "application/json"}
        if key is not None:
            all_headers["X-API-Key"] = key
        all_headers.update(headers or {})
        kwargs: dict[str, Any] = {"params": params}
        if json is not _UNSET:
            kwargs["json"] = json
        elif content is not None:
            kwargs["content"] = content
            all_headers.setdefault("Content-Type", "application/json")
        response = self._send(method, path, headers=all_headers, **kwargs)
        waits = 0
        while response.status_code == 429 and (self.patient if patient is None else patient) and waits < 3:
            waits += 1
            delay = min(_retry_after(response), MAX_PATIENCE)
            if self.evidence is not None:
                how = "on the virtual clock" if self.wait_out is not None else "in real time"
                self.evidence.note(f"429: waited {delay:g} s {how} (Retry-After) and asked again")
            if delay > 0:
                (self.wait_out or time.sleep)(delay)
            response = self._send(method, path, headers=all_headers, **kwargs)
        return response

    def with_key(self, api_key: str | None) -> "FiwanoClient":
        """Another client on the same target (and evidence) with a different key."""
        return FiwanoClient(self.base_url, api_key, self.evidence, self.timeout, self.verify)

    # -- channels
    def list_channels(self, **kw: Any) -> httpx.Response:
        return self.request("GET", "/channels", **kw)

    def get_channel(self, channel_id: str, **kw: Any) -> httpx.Response:
        return self.request("GET", f"/channels/{channel_id}", **kw)

    def patch_channel(self, channel_id: str, body: dict[str, Any], **kw: Any) -> httpx.Response:
        return self.request("PATCH", f"/channels/{channel_id}", json=body, **kw)

    def delete_channel(self, channel_id: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", f"/channels/{channel_id}", **kw)

    # -- messages
    def send_text(self, channel_id: str, recipient: str, text: str, **kw: Any) -> httpx.Response:
        return self.request("POST", "/messages/send",
                            json={"channel_id": channel_id, "recipient": recipient, "text": text}, **kw)


class HarnessClient(shared_harness.HarnessClient):
    """The target's harness API (fiwano_conformance/shared/harness.py: one method per operation of
    contract/harness.yaml), every exchange recorded as evidence and every API key it hands out redacted."""

    side = "harness"

    def __init__(self, base_url: str, evidence: Evidence | None = None, timeout: float = 30.0,
                 verify: Any = True) -> None:
        self._recorder = _Recording(base_url, evidence, timeout, verify)
        self._recorder.side = self.side
        super().__init__(self._recorder.base_url, http=self._recorder._http)
        self.evidence = evidence
        self.timeout = timeout
        self.verify = verify

    @property
    def _http(self) -> httpx.Client:  # one connection pool: the recorder's (a test may swap its transport)
        return self._recorder._http

    @_http.setter
    def _http(self, value: httpx.Client) -> None:
        self._recorder._http = value

    def close(self) -> None:
        self._recorder.close()

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self._recorder._send(method, path, **kwargs)

    def _learned_secret(self, value: Any) -> None:
        register_secret(value)
