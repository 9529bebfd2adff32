from __future__ import annotations

import threading

from reference.clock import OffsetClock
from reference.ratelimit import SlidingWindowRateLimiter


def test_limit_then_429_with_retry_after_and_no_effect(ctx):
    account = ctx.account()
    other = ctx.account()
    channel = ctx.connect(account, "facebook")
    for _ in range(100):
        assert ctx.api("GET", "/channels", account).status_code == 200
    response = ctx.api("POST", "/messages/send", account,
                       json={"channel_id": channel["id"], "recipient": "1", "text": "x"})
    assert response.status_code == 429
    assert isinstance(response.json()["detail"], str)
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert ctx.fake.sends() == []  # the rejected request had no effect
    assert ctx.api("GET", "/channels", other).status_code == 200  # other key unaffected
    ctx.advance(60)
    assert ctx.api("GET", "/channels", account).status_code == 200


def test_success_carries_ratelimit_headers(ctx):
    account = ctx.account()
    response = ctx.api("GET", "/channels", account)
    assert response.headers["X-RateLimit-Limit"] == "100"
    assert response.headers["X-RateLimit-Remaining"] == "99"


def test_keys_of_one_account_are_limited_separately(ctx):
    account = ctx.account()
    second = ctx.client.post(f"/harness/accounts/{account['account_id']}/keys").json()
    for _ in range(100):
        ctx.api("GET", "/channels", account)
    assert ctx.api("GET", "/channels", account).status_code == 429
    assert ctx.api("GET", "/channels", second["api_key"]).status_code == 200


def test_limiter_exact_under_concurrency():
    limiter = SlidingWindowRateLimiter(OffsetClock(), 100, 60)
    allowed = []
    lock = threading.Lock()

    def worker():
        for _ in range(50):
            decision = limiter.hit("k")
            with lock:
                allowed.append(decision.allowed)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(allowed) == 100


def test_sliding_window_frees_slots_in_order():
    clock = OffsetClock()
    limiter = SlidingWindowRateLimiter(clock, 3, 60)
    assert all(limiter.hit("k").allowed for _ in range(2))
    clock.advance(30)
    assert limiter.hit("k").allowed
    denied = limiter.hit("k")
    assert not denied.allowed and denied.retry_after == 30
    clock.advance(30)
    assert limiter.hit("k").allowed and limiter.hit("k").allowed
    assert not limiter.hit("k").allowed


def test_concurrent_requests_capped_exactly(ctx):
    from concurrent.futures import ThreadPoolExecutor

    account = ctx.account()
    with ThreadPoolExecutor(max_workers=16) as pool:
        codes = list(pool.map(lambda _: ctx.api("GET", "/channels", account).status_code, range(150)))
    assert codes.count(200) == 100 and codes.count(429) == 50
