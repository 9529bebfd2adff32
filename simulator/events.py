"""Sending Meta webhooks now or later, and keeping each world's delivery log.

Inbound messages and requested statuses are sent before the control call answers (the caller gets the
delivery result); asynchronous failures of sends (131047, 131053) are sent shortly after the Graph
response, like Meta does, from a background task the store keeps a reference to.
"""

from __future__ import annotations

import asyncio
from typing import Any

from simulator import webhooks
from simulator.world import Store, World


async def emit(store: Store, world: World, payload: dict[str, Any] | bytes, *, signature: str = "valid",
               url: str | None = None, attempt: int = 1) -> dict[str, Any]:
    """Deliver once; if that fails and the world has ``webhook_retry_delays``, retry in the background
    (Meta retries non-2xx deliveries; its schedule is not published, so tests choose the delays)."""
    with store.lock:
        target = url or store.app["target_webhook_url"]
        secret = store.app["app_secret"]
    result = await webhooks.deliver(target, payload, secret, store.settings.webhook_timeout_seconds,
                                    signature=signature)
    result["virtual_time"] = world.clock.now()
    result["attempt"] = attempt
    with store.lock:
        result["seq"] = len(world.deliveries) + 1
        world.deliveries.append(result)
        delays = list(world.options.get("webhook_retry_delays") or [])
    failed = result["status"] is None or not 200 <= result["status"] < 300
    if failed and attempt <= len(delays):
        _spawn(store, _retry(store, world, payload, signature, url, attempt, delays[attempt - 1]))
    return result


async def _retry(store: Store, world: World, payload: dict[str, Any] | bytes, signature: str, url: str | None,
                 attempt: int, delay: float) -> None:
    await asyncio.sleep(delay)
    if store.get_world(world.world_id) is world:
        await emit(store, world, payload, signature=signature, url=url, attempt=attempt + 1)


def _spawn(store: Store, coro: Any) -> None:
    task = asyncio.get_running_loop().create_task(coro)
    store.pending_tasks.add(task)
    task.add_done_callback(store.pending_tasks.discard)


def emit_later(store: Store, world: World, payload: dict[str, Any], delay: float) -> None:
    """Schedule a webhook from inside a running event loop without awaiting it."""
    async def _run() -> None:
        if delay > 0:
            await asyncio.sleep(delay)
        if store.get_world(world.world_id) is world:
            await emit(store, world, payload)

    _spawn(store, _run())


def public_delivery(result: dict[str, Any]) -> dict[str, Any]:
    return {"url": result["url"], "status": result["status"], "body": result["body"], "error": result["error"]}
