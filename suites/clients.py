"""Thin HTTP clients of the target (north side) that record every exchange as evidence.

* :class:`FiwanoClient`: the Fiwano REST API v1 with one API key (``X-API-Key``);
* :class:`HarnessClient`: the target's optional harness API (``/harness``, controlled level).

They return :class:`httpx.Response` objects unchanged: the tests assert on status and body themselves.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from suites.evidence import Evidence
from suites.redact import register_secret

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
                self.evidence.note(f"429 on a shared api-level key: waited {delay:g} s (Retry-After) and asked again")
            time.sleep(delay)
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


class HarnessError(RuntimeError):
    """The harness API answered something the kit did not expect (the harness broke, not the rule)."""


class HarnessClient(_Recording):
    """The target's harness API (docs/architecture.md §4.1): accounts, keys, channels."""

    side = "harness"

    def _ok(self, response: httpx.Response, expected: tuple[int, ...], what: str) -> Any:
        if response.status_code not in expected:
            raise HarnessError(f"harness {what}: expected HTTP {'/'.join(map(str, expected))}, got "
                               f"{response.status_code} {response.text[:500]}")
        return response.json() if response.content else None

    def health(self) -> dict[str, Any]:
        return self._ok(self._send("GET", "/harness/health"), (200,), "health")

    def settle(self, timeout: float = 30.0) -> bool:
        """Ask the target to finish all work due now (``POST /harness/settle``, optional in the harness).

        True once it has; False when the target does not offer the call (404/405/501), so the caller
        falls back to watching for ``quiet_seconds``.
        """
        response = self._send("POST", "/harness/settle", json={"timeout_seconds": timeout})
        if response.status_code in (404, 405, 501):
            return False
        self._ok(response, (200,), "settle")
        return True

    def create_account(self, tier: str = "pro", subscription_status: str = "active",
                       source: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"tier": tier, "subscription_status": subscription_status}
        if source is not None:
            body["source"] = source
        data = self._ok(self._send("POST", "/harness/accounts", json=body), (200, 201), "create account")
        register_secret(data.get("api_key"))
        return data

    def create_key(self, account_id: str) -> dict[str, Any]:
        data = self._ok(self._send("POST", f"/harness/accounts/{account_id}/keys"), (200, 201), "create key")
        register_secret(data.get("api_key"))
        return data

    def revoke_key(self, key_id: str) -> None:
        self._ok(self._send("DELETE", f"/harness/keys/{key_id}"), (200, 204), "revoke key")

    def connect_channel(self, account_id: str, channel_type: str, asset_id: str, access_token: str,
                        waba_id: str | None = None, page_id: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"channel_type": channel_type, "asset_id": asset_id, "access_token": access_token}
        if waba_id is not None:
            body["waba_id"] = waba_id
        if page_id is not None:
            body["page_id"] = page_id
        return self._ok(self._send("POST", f"/harness/accounts/{account_id}/channels", json=body), (200, 201),
                        "connect channel")
