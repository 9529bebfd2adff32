"""What a profile's per-minute rate limit counts, and requests it counts (for the rate-limit suites).

v1 (profile ``default``, ``rate_limit.counts: all``): every request of an API key ("100 requests per minute per
API key"). fiwano-2026-10 (``rate_limit.counts: sends``): sends only; every other operation has a limit of its
own, the profile's ``request_limit`` (20 per second, changelog 2026-09-29; suites/test_v2026_request_limit.py).
The v1 rate-limit tests spend a key's budget through :class:`Spender`, so that under each profile they judge
what that profile says: cheap GETs under v1, sends to a WhatsApp channel of the owner (the recipient's window
open) when the profile counts sends only. Every request of a spent key in those tests goes through the same
spender, so a target that counts every request (v1) and one that counts sends only agree on the count.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Mapping

import pytest

from suites import expect, readings
from suites.data import user_id
from suites.support_sending import open_window

# Two routes of each kind: the limit counts requests of a key, whatever the route (one served by the target's
# usual router, one it may serve another way).
GET_ROUTES = ("/channels", "/redirects")
SEND_ROUTES = ("/messages/send", "/messages/send-media")
SEND_PATHS = ("/messages/send", "/messages/send-template", "/messages/send-media")


def counts_sends_only(profile: Mapping[str, Any]) -> bool:
    """Whether the profile's per-minute ``rate_limit`` counts sends only (fiwano-2026-10) or every request."""
    return profile["rate_limit"].get("counts", "all") == "sends"


def limit_of(profile: Mapping[str, Any]) -> tuple[int, float]:
    """The per-minute limit: (requests, window seconds)."""
    rate = profile["rate_limit"]
    return int(rate["requests"]), float(rate["window_seconds"])


class Spender:
    """Requests of ``owner`` that the profile's ``rate_limit`` counts: ``spend(api_key=None, route=0)`` makes
    one (route 0 or 1 of :data:`GET_ROUTES` or :data:`SEND_ROUTES`) and returns the answer."""

    def __init__(self, request: pytest.FixtureRequest, owner: Any, profile: Mapping[str, Any],
                 req: str = "RATE-LIMIT-429") -> None:
        self.owner = owner
        self.sends = counts_sends_only(profile)
        self.routes = SEND_ROUTES if self.sends else GET_ROUTES
        self._numbers = itertools.count(1)
        if self.sends:
            simulator, rng = request.getfixturevalue("simulator"), request.getfixturevalue("rng")
            self.channel = request.getfixturevalue("channel")(owner, "whatsapp")
            self.recipient = user_id("whatsapp", rng)
            open_window(simulator, self.channel, self.recipient, req)

    @property
    def kind(self) -> str:
        return "sends" if self.sends else "requests"

    def __call__(self, api_key: str | None = None, route: int = 0) -> Any:
        kwargs: dict[str, Any] = {} if api_key is None else {"api_key": api_key}
        path = self.routes[route % 2]
        if not self.sends:
            return self.owner.client.request("GET", path, **kwargs)
        number = next(self._numbers)
        body: dict[str, Any] = {"channel_id": self.channel.id, "recipient": self.recipient}
        if path == "/messages/send":
            body["text"] = f"counted {number}"
        else:
            body.update(media_type="image", media_url=f"https://media.example.com/counted-{number}.jpg")
        return self.owner.client.request("POST", path, json=body, **kwargs)


def operation_requests(operations: list[tuple[str, str]], *, channel_id: str, template_id: str, redirect_id: str,
                       recipient: str, rng: Any) -> list[tuple[str, str, str, dict[str, Any]]]:
    """Each ``(METHOD, /path/{template})`` of the contract as ``(name, method, concrete path, request kwargs)``:
    the path's ids filled in and a valid body where the operation takes one, so that only a limit can refuse
    it (the throttling tests of v1 and of the request limit call every operation with a spent key)."""
    from suites.support_connect import callback_uri
    from suites.support_templates import template_request, unique_name

    ids = {"{channel_id}": channel_id, "{template_id}": template_id, "{redirect_id}": redirect_id,
           "{user_id}": recipient, "{media_id}": "m" + "0" * 15}
    bodies = {
        ("POST", "/channels/setup-url"): {"channel_type": "whatsapp", "redirect_uri": callback_uri()},
        ("POST", "/channels/exchange-code"): {"code": "c" * 43},
        ("PATCH", "/channels/{channel_id}"): {"webhook_events": ["message.received"]},
        ("POST", "/channels/{channel_id}/templates"): template_request(unique_name(rng)),
        ("PUT", "/channels/{channel_id}/templates/{template_id}"): {
            "components": [{"type": "BODY", "text": "Throttled {{1}}", "example": {"body_text": [["x"]]}}]},
        ("POST", "/redirects"): {"uri_pattern": callback_uri(rng)},
        ("POST", "/messages/send"): {"channel_id": channel_id, "recipient": recipient, "text": "throttled"},
        ("POST", "/messages/send-template"): {"channel_id": channel_id, "template_name": "throttled",
                                              "language": "en_US", "recipient": recipient},
        ("POST", "/messages/send-media"): {"channel_id": channel_id, "recipient": recipient, "media_type": "image",
                                           "media_url": "https://media.example.com/throttled.jpg"},
    }
    requests = []
    for method, template in operations:
        path = template
        for name, value in ids.items():
            path = path.replace(name, value)
        requests.append((f"{method} {template}", method, path,
                         {"json": bodies[(method, template)]} if (method, template) in bodies else {}))
    return requests


@dataclass
class OperationObjects:
    """What every operation of the contract needs to be called validly: an owner (Pro, active), its WhatsApp
    channel, a recipient whose window is open, a template of the channel and a redirect made with ``key``."""

    owner: Any
    wa: Any
    recipient: str
    template_id: str
    redirect_id: str
    key: str | None


def operation_objects(account: Any, channel: Any, simulator: Any, rng: Any, *, new_key: bool) -> OperationObjects:
    """Make :class:`OperationObjects` (the throttling tests of v1 and of the request limit). ``new_key``: the
    redirect is made with a new key of the owner (returned as ``key``), else with the owner's first key."""
    from suites.support_connect import callback_uri
    from suites.support_templates import create, template_request, unique_name

    owner = account(tier="pro", subscription_status="active", source="paddle")
    wa = channel(owner, "whatsapp")
    recipient = user_id("whatsapp", rng)
    simulator.emit_inbound_text(wa.world.world_id, wa.asset.asset_id, recipient, "hi")
    made = create(owner.client, wa.id, template_request(unique_name(rng)))
    template_id = str(made.json().get("id")) if made.status_code in (200, 201) else "tpl_unknown"
    key = owner.new_key()[0] if new_key else None
    redirect = owner.client.request("POST", "/redirects", json={"uri_pattern": callback_uri(rng)},
                                    **({"api_key": key} if key else {}))
    return OperationObjects(owner, wa, recipient, template_id, redirect.json().get("id", "redir_unknown"), key)


def retry_after_within(throttled: Any, window: float, req: str, what: str) -> tuple[float, float]:
    """The Retry-After of a 429, checked to be readable (delay-seconds or an HTTP-date, ``readings.retry_after``)
    and at most ``window``: (the delay, the tolerance of whole-second rounding an HTTP-date is read with)."""
    value = throttled.headers.get("Retry-After")
    found = readings.retry_after(throttled)
    expect.check(found is not None, req, what, "delay-seconds (digits) or an HTTP-date", repr(value))
    assert found is not None  # expect.check raised otherwise
    delay, tolerance = found
    # an HTTP-date is read against the whole-second Date header: the tolerance of those two roundings, fixed
    rounding = f" + {tolerance:g} s of whole-second rounding" if tolerance else ""
    expect.check(delay <= window + tolerance, req, "Retry-After delay", f"at most the window ({window:g} s{rounding})",
                 f"{value!r} (Date {throttled.headers.get('Date')!r})")
    return delay, tolerance
