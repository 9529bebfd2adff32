"""The client of a target's harness API (contract/harness.yaml): one typed method per operation.

The suites (which record every exchange as evidence: suites/clients.py subclasses this and overrides
:meth:`HarnessClient._send`), the doctor and the load tests' key minting all use it, so a call is spelled
once, with the method and path the contract declares. tests/test_shared_harness.py checks that every
operation of contract/harness.yaml has its method here.

Mandatory operations raise :class:`HarnessError` on an answer the contract does not allow (the harness broke,
not the rule under test). The optional ones (``settle``, ``channelDeliveries``, ``messageState``,
``accountNotifications``) answer ``None`` (or ``False``) when the target does not offer them.
"""

from __future__ import annotations

from typing import Any

import httpx

#: operationId (contract/harness.yaml) -> the method of :class:`HarnessClient` that calls it
OPERATIONS: dict[str, str] = {
    "harnessHealth": "health",
    "createAccount": "create_account",
    "changeSubscription": "change_subscription",
    "setSlots": "set_slots",
    "addKey": "create_key",
    "revokeKey": "revoke_key",
    "connectChannel": "connect_channel",
    "getClock": "clock",
    "advanceClock": "advance_clock",
    "settle": "settle",
    "channelDeliveries": "channel_deliveries",
    "messageState": "message_state",
    "accountNotifications": "notifications",
}
NOT_OFFERED = (404, 405, 501)


class HarnessError(RuntimeError):
    """The harness API answered something the kit did not expect (the harness broke, not the rule)."""


def _without_none(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if value is not None}


class HarnessClient:
    """The target's harness API (docs/architecture.md §4.1) at ``base_url``."""

    def __init__(self, base_url: str, *, timeout: float = 30.0, verify: Any = True,
                 http: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._own_http = http is None
        self._http = http or httpx.Client(timeout=timeout, verify=verify, follow_redirects=False)

    def close(self) -> None:
        if self._own_http:
            self._http.close()

    # -- the two hooks a subclass may override
    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self._http.request(method, self.base_url + path, **kwargs)

    def _learned_secret(self, value: Any) -> None:
        """Called with every API key the harness hands out (the suites register it for redaction)."""

    def _ok(self, response: httpx.Response, expected: tuple[int, ...], what: str) -> Any:
        if response.status_code not in expected:
            raise HarnessError(f"harness {what}: expected HTTP {'/'.join(map(str, expected))}, got "
                               f"{response.status_code} {response.text[:500]}")
        return response.json() if response.content else None

    def _optional(self, response: httpx.Response, what: str) -> Any:
        """The JSON of an optional call, or None when the target does not offer it."""
        if response.status_code in NOT_OFFERED and what not in response.text:
            return None
        return self._ok(response, (200,), what)

    # -- the operations of contract/harness.yaml
    def health(self) -> dict[str, Any]:
        """harnessHealth: ``GET /harness/health``."""
        data: dict[str, Any] = self._ok(self._send("GET", "/harness/health"), (200,), "health")
        return data

    def create_account(self, tier: str = "pro", subscription_status: str = "active",
                       source: str | None = None) -> dict[str, Any]:
        """createAccount: ``POST /harness/accounts`` -> ``{"account_id", "api_key", ...}``."""
        body = _without_none({"tier": tier, "subscription_status": subscription_status, "source": source})
        data: dict[str, Any] = self._ok(self._send("POST", "/harness/accounts", json=body), (200, 201),
                                        "create account")
        self._learned_secret(data.get("api_key"))
        return data

    def create_signup_account(self) -> dict[str, Any]:
        """createAccount without a body: the account a signup makes (a Pro trial, contract/harness.yaml)."""
        data: dict[str, Any] = self._ok(self._send("POST", "/harness/accounts"), (200, 201), "create account")
        self._learned_secret(data.get("api_key"))
        return data

    def change_subscription(self, account_id: str, *, tier: str | None = None,
                            subscription_status: str | None = None, source: str | None = None,
                            auto_renew: bool | None = None, expires_at: str | None = None) -> dict[str, Any]:
        """changeSubscription: ``POST /harness/accounts/{id}/subscription`` (fields left out keep their value)."""
        body = _without_none({"tier": tier, "subscription_status": subscription_status, "source": source,
                              "auto_renew": auto_renew, "expires_at": expires_at})
        data: dict[str, Any] = self._ok(self._send("POST", f"/harness/accounts/{account_id}/subscription",
                                                   json=body), (200,), "change subscription")
        return data

    def set_slots(self, account_id: str, slots: dict[str, int]) -> dict[str, Any]:
        """setSlots: ``PUT /harness/accounts/{id}/slots`` (profile fiwano-2026-10: the plan's channel slots)."""
        data: dict[str, Any] = self._ok(self._send("PUT", f"/harness/accounts/{account_id}/slots",
                                                   json={"slots": slots}), (200,), "set slots")
        return data

    def create_key(self, account_id: str) -> dict[str, Any]:
        """addKey: ``POST /harness/accounts/{id}/keys`` -> ``{"api_key", "key_id"}``."""
        data: dict[str, Any] = self._ok(self._send("POST", f"/harness/accounts/{account_id}/keys"), (200, 201),
                                        "create key")
        self._learned_secret(data.get("api_key"))
        return data

    def revoke_key(self, key_id: str) -> None:
        """revokeKey: ``DELETE /harness/keys/{key_id}``."""
        self._ok(self._send("DELETE", f"/harness/keys/{key_id}"), (200, 204), "revoke key")

    def connect_channel(self, account_id: str, channel_type: str, asset_id: str, access_token: str,
                        waba_id: str | None = None, page_id: str | None = None) -> dict[str, Any]:
        """connectChannel: ``POST /harness/accounts/{id}/channels`` -> the channel as the API shows it."""
        body = _without_none({"channel_type": channel_type, "asset_id": asset_id, "access_token": access_token,
                              "waba_id": waba_id, "page_id": page_id})
        data: dict[str, Any] = self._ok(self._send("POST", f"/harness/accounts/{account_id}/channels", json=body),
                                        (200, 201), "connect channel")
        return data

    def clock(self) -> dict[str, Any]:
        """getClock: ``GET /harness/clock`` -> ``{"now", ...}``."""
        data: dict[str, Any] = self._ok(self._send("GET", "/harness/clock"), (200,), "read clock")
        return data

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        """advanceClock: ``POST /harness/clock/advance``; answers after the work that became due has run."""
        data: dict[str, Any] = self._ok(self._send("POST", "/harness/clock/advance", json={"seconds": seconds}),
                                        (200,), "advance clock")
        return data

    def settle(self, timeout: float = 30.0) -> bool:
        """settle (optional): True once the target finished all work due now; False when it does not offer
        the call, so the caller falls back to watching for ``quiet_seconds``."""
        response = self._send("POST", "/harness/settle", json={"timeout_seconds": timeout})
        if response.status_code in NOT_OFFERED:
            return False
        self._ok(response, (200,), "settle")
        return True

    def channel_deliveries(self, channel_id: str) -> list[dict[str, Any]] | None:
        """channelDeliveries (optional): the channel's webhook deliveries, or None when not offered."""
        data = self._optional(self._send("GET", f"/harness/channels/{channel_id}/deliveries"), "deliveries")
        return None if data is None else list(data.get("deliveries") or [])

    def message_state(self, message_id: str) -> dict[str, Any] | None:
        """messageState (optional): what the target holds about a message, or None when not offered."""
        data: dict[str, Any] | None = self._optional(self._send("GET", f"/harness/messages/{message_id}"),
                                                     "message")
        return data

    def notifications(self, account_id: str) -> list[dict[str, Any]] | None:
        """accountNotifications (optional): the owner notices of an account, or None when not offered."""
        data = self._optional(self._send("GET", f"/harness/accounts/{account_id}/notifications"),
                              "notifications")
        return None if data is None else list(data.get("notifications") or [])


def harness_problem(base_url: str | None, *, timeout: float = 5.0, verify: Any = True) -> str | None:
    """None when the harness at ``base_url`` answers ``GET /harness/health`` with ``test_mode: true``; otherwise
    why not, in one line that names the URL (without its credentials).

    The one question behind the controlled level: the suites' level probe and ``harness`` fixture and the
    doctor all ask it here, so they cannot disagree about what counts as a usable harness."""
    from fiwano_conformance.shared.redact import strip_userinfo

    if not base_url:
        return "no harness URL"
    url = strip_userinfo(f"{base_url.rstrip('/')}/harness/health")
    client = HarnessClient(base_url, timeout=timeout, verify=verify)
    try:
        data = client.health()
    except httpx.HTTPError as exc:
        reason = (str(exc) or type(exc).__name__).splitlines()[0][:200]
        return f"{url} does not answer ({reason})"
    except (HarnessError, ValueError) as exc:
        return f"{url} answers no harness health: {str(exc)[:300]}"
    finally:
        client.close()
    if not isinstance(data, dict) or data.get("test_mode") is not True:
        return f"{url} does not report test_mode true: {str(data)[:200]}"
    return None
