"""Client of Meta's Graph API (the simulator in tests). One class, easy to wrap or replace.

Every Graph call takes one path (``MetaClient.request``): the body encoded once, sent through a
:class:`GraphHTTP` (the kept-alive client of ``reference.speedups.graph_client`` when the speed-ups are on,
else :class:`HttpxGraphHTTP`: httpx, also whenever a transport is injected), the answer classified once.
Media downloads stream through httpx (their size is capped while reading).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx

from fiwano_conformance.shared import json_read
from reference.speedups.graph_client import FastGraphHTTP, GraphAnswer
from reference.speedups.http1 import FastHTTPError

log = logging.getLogger("reference.meta")

# Meta error codes that mean "try again later" (throttling, temporary outages). Not 131057: Meta uses it for
# maintenance, but the docs' error table lists it with 131047 as "outside 24h window", a permanent failure
# answered with its error_code (MEDIA-SEND-ERROR-CODE, SEND-WINDOW-WA).
TRANSIENT_CODES = frozenset({1, 2, 4, 17, 32, 613, 80001, 80002, 80006, 80007, 80008, 130429, 131000, 131016,
                             131056})


@dataclass
class MetaResult:
    """Outcome of one Graph call."""

    ok: bool
    http_status: int | None = None
    data: Any = None
    transient: bool = False
    error_code: int | None = None
    error_subcode: int | None = None
    error_message: str | None = None
    retry_after: float | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def outcome(self) -> str:
        return "accepted" if self.ok else ("transient" if self.transient else "permanent")


# Code 190 subcodes that mean the user's authorisation is gone (app removed, password changed, expired,
# invalid session): the channel cannot work until it is reconnected.
REVOKED_SUBCODES = frozenset({458, 459, 460, 463, 464, 467, 492})


def authorisation_revoked(result: MetaResult) -> bool:
    return not result.ok and result.error_code == 190 and result.error_subcode in REVOKED_SUBCODES


class MetaApiError(Exception):
    def __init__(self, result: MetaResult) -> None:
        super().__init__(result.error_message or "Meta API error")
        self.result = result


def classify(http_status: int, error: dict[str, Any] | None) -> bool:
    """True when a failed Graph answer is transient (worth retrying)."""
    if http_status >= 500 or http_status == 429:
        return True
    if error:
        code = error.get("code")
        if isinstance(code, int) and code in TRANSIENT_CODES:
            return True
        if error.get("is_transient") is True:
            return True
    return False


def _retry_after(headers: Any) -> float | None:
    value = headers.get("retry-after")
    if value and value.strip().isdigit():
        return float(value.strip())
    return None


class GraphHTTP(Protocol):
    """What ``MetaClient`` needs of an HTTP client: one request to the Graph origin, the whole answer; failures
    raised as :class:`FastHTTPError` with httpx's exception names (``ReadTimeout``, ``ConnectError`` ...)."""

    async def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                      body: bytes | None = None) -> GraphAnswer: ...

    async def aclose(self) -> None: ...


class HttpxGraphHTTP:
    """:class:`GraphHTTP` on an ``httpx.AsyncClient`` (its own transport, or the one a test injects)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                      body: bytes | None = None) -> GraphAnswer:
        try:
            response = await self.client.request(method, path, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise FastHTTPError(type(exc).__name__) from None
        return GraphAnswer(response.status_code, dict(response.headers), response.content)

    async def aclose(self) -> None:
        """The httpx client belongs to ``MetaClient`` (media downloads use it too) and is closed there."""


# the bytes httpx sends for json= (compact, UTF-8, no NaN): json.dumps with these options, its encoder built once
# (json.dumps builds a new one on every call that passes options)
_GRAPH_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class MetaClient:
    def __init__(self, base_url: str, version: str, *, transport: httpx.AsyncBaseTransport | None = None,
                 timeout: float = 10.0, speedups: bool = True) -> None:
        self.base_url = base_url.rstrip("/")
        self.version = version
        # idle connections are dropped well before a typical server keep-alive timeout (uvicorn: 5 s)
        self._client = httpx.AsyncClient(base_url=self.base_url, transport=transport, timeout=timeout,
                                         follow_redirects=False, trust_env=False,
                                         limits=httpx.Limits(keepalive_expiry=2.0))
        # Graph calls go through a lighter keep-alive client (about a tenth of httpx's CPU per call, see
        # docs/benchmarks.md) when the speed-ups are on; an injected transport (tests) keeps them on httpx.
        fast = speedups and transport is None and self.base_url.startswith(("http://", "https://"))
        self._http: GraphHTTP = FastGraphHTTP(self.base_url, timeout=timeout, keepalive_expiry=2.0) if fast \
            else HttpxGraphHTTP(self._client)

    async def aclose(self) -> None:
        await self._http.aclose()
        await self._client.aclose()

    def path(self, *parts: str) -> str:
        return "/" + "/".join([self.version, *parts])

    async def request(self, method: str, path: str, token: str, *, json_body: Any = None,
                      params: dict[str, Any] | None = None) -> MetaResult:
        headers = {"Authorization": f"Bearer {token}"}
        if params:
            query = urlencode({k: v for k, v in params.items() if v is not None}, doseq=True)
            if query:
                path = f"{path}?{query}"
        body = None
        if json_body is not None:
            # the bytes httpx sends for json= (compact, UTF-8, no NaN)
            body = _GRAPH_JSON.encode(json_body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        try:
            response = await self._http.request(method, path, headers, body)
        except FastHTTPError as exc:
            what = "timeout calling Meta" if exc.is_timeout else "network error calling Meta"
            return MetaResult(ok=False, transient=True, error_message=f"{what}: {exc.kind}")
        data = json_read.loads(response.content) if response.content else None  # orjson where it reads as json
        if data is json_read.NOT_READ:
            try:
                data = json.loads(response.content)
            except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
                data = None
        return self._result(response.status_code, data, response.headers)

    def _result(self, status_code: int, data: Any, response_headers: Any) -> MetaResult:
        response_status = status_code
        if 200 <= response_status < 300:
            return MetaResult(ok=True, http_status=response_status, data=data)
        error = data.get("error") if isinstance(data, dict) and isinstance(data.get("error"), dict) else None
        code = error.get("code") if error and isinstance(error.get("code"), int) else None
        subcode = error.get("error_subcode") if error and isinstance(error.get("error_subcode"), int) else None
        message = str(error.get("message")) if error and error.get("message") is not None else (
            f"Meta answered HTTP {response_status}")
        return MetaResult(ok=False, http_status=response_status, data=data,
                          transient=classify(response_status, error), error_code=code, error_subcode=subcode,
                          error_message=message, retry_after=_retry_after(response_headers))

    # messaging ---------------------------------------------------------------------------------------------
    async def send_message(self, sender_id: str, token: str, body: dict[str, Any]) -> MetaResult:
        return await self.request("POST", self.path(sender_id, "messages"), token, json_body=body)

    # objects -----------------------------------------------------------------------------------------------
    async def get_object(self, object_id: str, token: str, fields: str | None = None) -> MetaResult:
        return await self.request("GET", self.path(object_id), token, params={"fields": fields} if fields else None)

    async def subscribe_app(self, object_id: str, token: str) -> MetaResult:
        return await self.request("POST", self.path(object_id, "subscribed_apps"), token)

    async def unsubscribe_app(self, object_id: str, token: str) -> MetaResult:
        return await self.request("DELETE", self.path(object_id, "subscribed_apps"), token)

    # media -------------------------------------------------------------------------------------------------
    async def download(self, url: str, token: str | None, max_bytes: int) -> tuple[bytes | None, str | None, str | None]:
        """Fetch a media URL (absolute, or a Graph path). Returns (content, content_type, error)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            async with self._client.stream("GET", url, headers=headers) as response:
                if response.status_code != 200:
                    return None, None, f"Meta answered HTTP {response.status_code} for the media file"
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    return None, None, f"Media file exceeds the {max_bytes} byte limit"
                chunks: list[bytes] = []
                total = 0
                async for chunk in response.aiter_bytes():
                    total += len(chunk)
                    if total > max_bytes:
                        return None, None, f"Media file exceeds the {max_bytes} byte limit"
                    chunks.append(chunk)
                return b"".join(chunks), response.headers.get("content-type"), None
        except httpx.HTTPError as exc:
            return None, None, f"Download from Meta failed: {type(exc).__name__}"
