"""Getting the keys a run drives: minted through the target's harness API and wired to simulator assets, or
read from a file.

Minting is done before the load starts and in parallel (1,000 keys take a few thousand harness and simulator
calls). Requests made with a key during setup (the webhook PATCH, channel discovery) count against its rate
limit, so their times are kept in the keyring and fed to the admission oracle.
"""

from __future__ import annotations

import logging
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from fiwano_conformance.shared.harness import HarnessClient, HarnessError

from loadtests.inbound import emit, simulator_client
from loadtests.keyring import ChannelSpec, Keyring, KeySpec, read_keyring
from loadtests.loadprofile import LoadProfile

log = logging.getLogger("fiwano.load")

EVENTS = {
    "whatsapp": ["message.received", "message.sent", "message.delivered", "message.read", "message.failed"],
    "instagram": ["message.received", "message.delivered", "message.read"],
    "facebook": ["message.received", "message.delivered", "message.read"],
}
TIMEOUT = httpx.Timeout(30.0)
MAX_ASSETS_PER_WORLD = 50   # the simulator refuses bigger worlds (POST /_sim/worlds validates the list)


class ProvisionError(RuntimeError):
    """Setup could not produce the keys the profile asks for; the run is an error, not a target failure."""


def recipient_for(channel_type: str, key_index: int) -> str:
    """A stable, unique recipient per key and channel (phone digits for WhatsApp, 16-digit ids otherwise)."""
    if channel_type == "whatsapp":
        return f"1555{key_index:07d}"
    prefix = "17841" if channel_type == "instagram" else "72000"
    return f"{prefix}{key_index:011d}"


def _check(response: httpx.Response, what: str) -> dict:
    if response.status_code >= 300:
        raise ProvisionError(f"{what}: HTTP {response.status_code} {response.text[:300]}")
    return response.json() if response.content else {}


MAX_RETRY_AFTER_SECONDS = 65.0


def keyed_call(http: httpx.Client, key: KeySpec, method: str, url: str, json: dict | None = None,
               attempts: int = 3) -> httpx.Response:
    """A setup request made with a key: recorded in the key's history (it counts against its limit), and on
    429 retried after Retry-After (a key reused from an earlier run may still be exhausted)."""
    for attempt in range(attempts):
        sent = time.time()
        response = http.request(method, url, headers={"X-API-Key": key.api_key}, json=json)
        key.prior_requests.append([sent, time.time(), response.status_code])
        if response.status_code != 429 or attempt == attempts - 1:
            return response
        try:
            wait = float(response.headers.get("Retry-After", "5"))
        except ValueError:
            wait = 5.0
        log.info("key %d is rate limited during setup; retrying in %.0f s", key.index, wait)
        time.sleep(min(max(wait, 1.0), MAX_RETRY_AFTER_SECONDS))
    return response


def _assets_by_channel(world, channels) -> dict[str, list]:
    found: dict[str, list] = {c: [] for c in channels}
    for asset in world.assets:
        found.setdefault(asset.channel, []).append(asset)
    return found


def _mint_key(http: httpx.Client, harness_url: str, target_url: str, sink_url: str | None, profile: LoadProfile,
              index: int, world, assets: dict[str, object]) -> KeySpec:
    harness = HarnessClient(harness_url, http=http)  # the kit's one harness client, on the shared pool
    try:
        account = harness.create_account(profile.keys.tier, "active")
    except HarnessError as exc:
        raise ProvisionError(f"mint account {index}: {exc}") from None
    key = KeySpec(index=index, api_key=account["api_key"], account_id=account["account_id"])
    for channel_type, asset in assets.items():
        try:
            channel = harness.connect_channel(key.account_id, channel_type, asset.asset_id, asset.access_token,
                                              waba_id=getattr(asset, "waba_id", None) or None,
                                              page_id=getattr(asset, "page_id", None) or None)
        except HarnessError as exc:
            raise ProvisionError(f"connect {channel_type} for key {index}: {exc}") from None
        spec = ChannelSpec(channel_id=channel["id"], channel_type=channel_type,
                           recipient=recipient_for(channel_type, index), world_id=world.world_id,
                           asset_id=asset.asset_id)
        if sink_url:
            spec.webhook_secret = secrets.token_hex(32)
            response = keyed_call(http, key, "PATCH", f"{target_url}/api/v1/channels/{spec.channel_id}",
                                  {"webhook_url": f"{sink_url}/hooks/{spec.channel_id}",
                                   "webhook_secret": spec.webhook_secret, "webhook_events": EVENTS[channel_type]})
            _check(response, f"set webhook of channel {spec.channel_id} (key {index})")
        key.channels.append(spec)
    return key


def mint_keyring(profile: LoadProfile, run_id: str, target_url: str, harness_url: str, simulator_url: str,
                 sink_url: str | None, http: httpx.Client | None = None, sim=None) -> tuple[Keyring, list[dict]]:
    """Mint ``profile.keys.count`` accounts with one channel per profile channel each, wired to fresh
    simulator worlds and (if a sink is given) with webhooks pointing at it. Returns the keyring and the
    inbound rows of the window-opening messages. ``http`` and ``sim`` are for tests."""
    sim = sim or simulator_client(simulator_url)
    own_http = http is None
    http = http or httpx.Client(timeout=TIMEOUT)
    try:
        return _mint(profile, run_id, target_url, harness_url, simulator_url, sink_url, http, sim)
    finally:
        if own_http:
            http.close()


def _mint(profile: LoadProfile, run_id: str, target_url: str, harness_url: str, simulator_url: str,
          sink_url: str | None, http: httpx.Client, sim) -> tuple[Keyring, list[dict]]:
    wanted = list(profile.keys.channels)
    count = profile.keys.count
    per_world = max(1, min(profile.keys.keys_per_world, MAX_ASSETS_PER_WORLD // len(wanted)))
    plan: list[tuple[int, object, dict]] = []
    world_ids = []
    for first in range(0, count, per_world):
        indexes = list(range(first, min(first + per_world, count)))
        # media URLs of the run are fetchable by "Meta", so media sends succeed like text sends do
        world = sim.create_world([c for _ in indexes for c in wanted], label=f"load-{run_id}-{first // per_world}",
                                 cdn_default_fetchable=True)
        world_ids.append(world.world_id)
        by_channel = _assets_by_channel(world, wanted)
        for position, index in enumerate(indexes):
            plan.append((index, world, {c: by_channel[c][position] for c in wanted}))
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=profile.keys.provision_concurrency) as pool:
        keys = list(pool.map(lambda item: _mint_key(http, harness_url, target_url, sink_url, profile, *item), plan))
    log.info("minted %d keys with %d channels in %.1f s", len(keys), sum(len(k.channels) for k in keys),
             time.monotonic() - started)
    keyring = Keyring(run_id=run_id, target=target_url, sink_url=sink_url, world_ids=world_ids, keys=keys)
    if profile.mix.send_template > 0:
        prepare_templates(http, sim, keyring, profile, target_url)
    return keyring, open_windows(keyring, profile, simulator_url, sim) if profile.keys.open_windows else []


def template_body(profile: LoadProfile) -> dict:
    """The load template: one positional body variable, which carries the request's token."""
    return {"name": profile.template.name, "category": "UTILITY", "language": profile.template.language,
            "parameter_format": "positional",
            "components": [{"type": "BODY", "text": "Fiwano load test message {{1}}",
                            "example": {"body_text": [["fiwano-load run k0 s0"]]}}]}


def prepare_templates(http: httpx.Client, sim, keyring: Keyring, profile: LoadProfile, target_url: str) -> int:
    """Create the load template on every WhatsApp channel through the target's API and approve it in the
    simulator (as Meta's review would), so that template sends can succeed. Returns how many were approved."""
    for key in keyring.keys:
        for channel in key.channels:
            if channel.channel_type != "whatsapp":
                continue
            response = keyed_call(http, key, "POST", f"{target_url}/api/v1/channels/{channel.channel_id}/templates",
                                  template_body(profile))
            if response.status_code >= 300:
                raise ProvisionError(
                    f"the target could not create the load template on channel {channel.channel_id}: HTTP "
                    f"{response.status_code} {response.text[:200]} (template sends need it; set mix.send_template"
                    " to 0 to run without them)")
    approved = 0
    for world_id in keyring.world_ids:
        for template in sim.templates(world_id):
            if template.get("name") == profile.template.name and template.get("status") != "APPROVED":
                sim.review_template(world_id, template["id"], "APPROVED")
                approved += 1
    return approved


def open_windows(keyring: Keyring, profile: LoadProfile, simulator_url: str | None, sim=None) -> list[dict]:
    """One inbound message from each recipient, so sends fall inside Meta's 24-hour window."""
    targets = [(k, c) for k, c in keyring.channels() if c.recipient and c.world_id and c.asset_id]
    if not targets or not (simulator_url or sim):
        return []
    sim = sim or simulator_client(simulator_url)
    with ThreadPoolExecutor(max_workers=profile.keys.provision_concurrency) as pool:
        rows = list(pool.map(lambda kc: emit(sim, kc[0].index, kc[1],
                                             f"fiwano-load {keyring.run_id} open k{kc[0].index}"), targets))
    failed = [r for r in rows if r.get("emit_error")]
    if failed:
        raise ProvisionError(f"{len(failed)} window-opening messages could not be emitted: {failed[0]['emit_error']}")
    return rows


def discover_channels(keyring: Keyring, target_url: str) -> None:
    """For keys read without channels: list them with GET /api/v1/channels (read-only use, no recipient)."""
    with httpx.Client(timeout=TIMEOUT) as http:
        for key in keyring.keys:
            if key.channels:
                continue
            response = keyed_call(http, key, "GET", f"{target_url}/api/v1/channels")
            body = _check(response, f"list channels of key {key.index}")
            key.channels = [ChannelSpec(channel_id=c["id"], channel_type=c["channel_type"])
                            for c in body.get("channels", []) if c.get("is_active", True)]


def repoint_webhooks(keyring: Keyring, target_url: str, sink_url: str, http: httpx.Client | None = None) -> int:
    """Point the webhooks of a keyring saved by an earlier run (``--save-keys``) at this run's sink, keeping
    their secrets. Only keyrings the kit wrote (they name their sink) are touched: a user's own keys keep the
    webhook configuration they have. Returns the number of channels changed."""
    if not keyring.sink_url or keyring.sink_url == sink_url:
        return 0
    changed = 0
    client = http or httpx.Client(timeout=TIMEOUT)
    try:
        for key in keyring.keys:
            for channel in key.channels:
                if not channel.webhook_secret:
                    continue
                response = keyed_call(client, key, "PATCH", f"{target_url}/api/v1/channels/{channel.channel_id}",
                                      {"webhook_url": f"{sink_url}/hooks/{channel.channel_id}",
                                       "webhook_secret": channel.webhook_secret})
                _check(response, f"re-point webhook of channel {channel.channel_id} (key {key.index})")
                changed += 1
    finally:
        if http is None:
            client.close()
    keyring.sink_url = sink_url
    return changed


def load_keyring(path: Path, profile: LoadProfile, run_id: str, target_url: str) -> Keyring:
    """Read keys from a file, check they can do what the profile asks, discover channels if needed."""
    keyring = read_keyring(path, run_id)
    if not keyring.keys:
        raise ProvisionError(f"{path}: no keys")
    discover_channels(keyring, target_url)
    if profile.mix.send_weight > 0 and not any(k.sendable() for k in keyring.keys):
        raise ProvisionError(f"{path}: the profile sends messages but no key has a channel with a recipient; "
                             "use a keyring file with recipients or a read-only mix")
    return keyring
