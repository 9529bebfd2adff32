"""Template and trial numbers at their exact boundary, one second on each side.

Numbers: ``template_edit.min_interval_seconds`` (an approved template is edited once per 24 hours),
``template_edit.max_per_30_days`` with ``template_edit_window_seconds`` (the (L+1)-th edit within 30 days is
refused; once the first edit is 30 days old, one more is allowed), ``deleted_template_name_lock_seconds``
(a deleted approved name cannot be re-created for 30 days), ``trial_days`` (the Pro trial ends 7 days after
signup). Spec: fiwano-api.md "Templates / Restrictions", "DELETE template", "License Tiers".

Each instant is bracketed by reads of the target's clock and probed 1 s inside and 1 s outside the
bracket, so the reading of the exact instant (inclusive or exclusive) is not judged.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from suites import expect
from suites import support_templates as tpl
from suites.boundaries import probe_margin
from suites.clients import FiwanoClient
from suites.data import user_id
from suites.fixtures import Account
from suites.support_connect import parse_time
from suites.support_media import subscription_of
from suites.support_sending import open_window
from suites.support_templates import body_component, template_request, unique_name


@pytest.fixture
def wa(account, channel):
    """A WhatsApp channel of a Pro account on an auto-renewing paid plan (clock moves of weeks keep it Pro)."""
    return channel(account(tier="pro", subscription_status="active", source="paddle"), "whatsapp")


def _advance_to(clock, when: datetime) -> None:
    delta = (when - clock.now()).total_seconds()
    if delta > 0:
        clock.advance(delta)


def _edit(wa, template_id: str, n: int):
    return tpl.update(wa.client, wa.id, template_id, {"components": [body_component(f"Edit {n}: hi {{{{1}}}}, "
                                                                                    "{{2}}.")]})


def _edited(clock, wa, simulator, name: str, template_id: str, n: int, req: str, what: str) -> tuple[datetime, datetime]:
    """Edit n is accepted; Meta approves it again. Returns the bracket of the edit's instant."""
    before = clock.now()
    expect.status(_edit(wa, template_id, n), 200, req, what)
    after = clock.now()
    tpl.review(simulator, wa, name, "APPROVED")
    tpl.listed(wa.client, wa.id, "TPL-LIFECYCLE")
    return before, after


@pytest.mark.req("TPL-UPDATE-ONCE-PER-DAY")
@pytest.mark.level("controlled")
def test_second_edit_is_refused_one_second_before_a_day_and_accepted_one_after(wa, simulator, clock, fiwano_profile,
                                                                               rng):
    interval = float(fiwano_profile["template_edit"]["min_interval_seconds"])
    m = probe_margin(clock)
    name = unique_name(rng)
    made = str(tpl.new_template(wa.client, wa, simulator, name)["id"])
    first, first_by = _edited(clock, wa, simulator, name, made, 1, "TPL-UPDATE-ONCE-PER-DAY", "first edit")

    _advance_to(clock, first + timedelta(seconds=interval - m))
    tpl.refused(_edit(wa, made, 2), "TPL-UPDATE-ONCE-PER-DAY", f"an edit {interval - m:.0f} s after the first")
    _advance_to(clock, first_by + timedelta(seconds=interval + m))
    expect.status(_edit(wa, made, 3), 200, "TPL-UPDATE-ONCE-PER-DAY", f"an edit {interval + m:.0f} s after the first "
                  "(the refused one in between does not count)")


@pytest.mark.req("TPL-UPDATE-10-PER-30-DAYS")
@pytest.mark.level("controlled")
def test_edit_quota_frees_one_second_after_the_first_edit_is_30_days_old(wa, simulator, clock, fiwano_profile, rng):
    quota = int(fiwano_profile["template_edit"]["max_per_30_days"])
    interval = float(fiwano_profile["template_edit"]["min_interval_seconds"])
    window = float(fiwano_profile["template_edit_window_seconds"])
    m = probe_margin(clock)
    name = unique_name(rng)
    made = str(tpl.new_template(wa.client, wa, simulator, name)["id"])
    edits: list[tuple[datetime, datetime]] = []
    for n in range(1, quota + 1):
        if edits:
            _advance_to(clock, edits[-1][1] + timedelta(seconds=interval + 1))
        edits.append(_edited(clock, wa, simulator, name, made, n, "TPL-UPDATE-10-PER-30-DAYS",
                             f"edit {n} of {quota}"))
    _advance_to(clock, edits[-1][1] + timedelta(seconds=interval + 1))

    _advance_to(clock, edits[0][0] + timedelta(seconds=window - m))
    tpl.refused(_edit(wa, made, quota + 1), "TPL-UPDATE-10-PER-30-DAYS",
                f"edit {quota + 1}, {window - m:.0f} s after the first")
    _advance_to(clock, edits[0][1] + timedelta(seconds=window + m))
    expect.check(clock.now() < edits[1][0] + timedelta(seconds=window - m), "TPL-UPDATE-10-PER-30-DAYS",
                 "kit timing", "the second edit still inside its 30 days", clock.now())
    expect.status(_edit(wa, made, quota + 2), 200, "TPL-UPDATE-10-PER-30-DAYS",
                  f"an edit {window + m:.0f} s after the first (only {quota - 1} in the last 30 days)")


@pytest.mark.req("TPL-DELETE-NAME-LOCK")
@pytest.mark.level("controlled")
def test_deleted_name_is_locked_until_one_second_before_30_days_and_free_one_after(wa, simulator, clock,
                                                                                   fiwano_profile, rng):
    lock = float(fiwano_profile["deleted_template_name_lock_seconds"])
    m = probe_margin(clock)
    name = unique_name(rng)
    made = tpl.new_template(wa.client, wa, simulator, name)
    deleted = clock.now()
    expect.check(200 <= tpl.delete(wa.client, wa.id, str(made["id"])).status_code < 300, "TPL-DELETE-NAME-LOCK",
                 "DELETE the approved template", "HTTP 2xx", "refused")
    deleted_by = clock.now()

    _advance_to(clock, deleted + timedelta(seconds=lock - m))
    tpl.refused(tpl.create(wa.client, wa.id, template_request(name)), "TPL-DELETE-NAME-LOCK",
                f"re-create the name {lock - m:.0f} s after the deletion")
    _advance_to(clock, deleted_by + timedelta(seconds=lock + m))
    tpl.created(tpl.create(wa.client, wa.id, template_request(name)), "TPL-DELETE-NAME-LOCK",
                f"re-create the name {lock + m:.0f} s after the deletion")


@pytest.mark.req("TIER-TRIAL", "TIER-TRIAL-END-BLOCKS")
@pytest.mark.level("controlled")
def test_trial_serves_one_second_before_seven_days_and_blocks_one_after(harness, fiwano_target, evidence, cleanups,
                                                                        channel, channel_type, simulator, clock, fiwano_profile,
                                                                        rng):
    trial = timedelta(days=float(fiwano_profile["trial_days"]))
    m = timedelta(seconds=probe_margin(clock))
    signup = clock.now()
    data = harness.create_signup_account()
    signup_by = clock.now()
    client = FiwanoClient(fiwano_target.url, data["api_key"], evidence)
    cleanups.append(client.close)
    owner = Account(data["account_id"], data["api_key"], client, None, None, data.get("key_id"), harness)
    ch = channel(owner, channel_type)
    recipient = user_id(channel_type, rng)
    expires = parse_time(subscription_of(ch, "TIER-TRIAL").get("expires_at"))
    expect.check(expires is not None and signup + trial - timedelta(seconds=1) <= expires
                 <= signup_by + trial + timedelta(seconds=1), "TIER-TRIAL", "expires_at of the trial",
                 f"{fiwano_profile['trial_days']} days after signup (within a second)",
                 subscription_of(ch, "TIER-TRIAL").get("expires_at"))

    _advance_to(clock, signup + trial - m)
    open_window(simulator, ch, recipient, req="TIER-TRIAL")
    inside = client.send_text(ch.id, recipient, f"{m} before the trial ends")
    _advance_to(clock, signup_by + trial + m)
    outside = client.send_text(ch.id, recipient, f"{m} after the trial ended")

    expect.status(inside, 200, "TIER-TRIAL", f"send {m} before the end of the trial")
    expect.check(inside.json().get("success") is True, "TIER-TRIAL", f"send {m} before the end of the trial",
                 "success true", inside.json())
    expect.status(outside, 402, "TIER-TRIAL-END-BLOCKS", f"send {m} after the end of the trial")
