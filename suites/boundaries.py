"""The boundary sweep: every number of the profile -> the requirements it bounds and the suite tests that
probe it at the exact boundary and one unit past it.

``tests/suites/test_boundary_sweep.py`` (a kit test) fails when a number of a profile in
``contract/profiles/`` has no entry here (so a new number gets its tests), when an entry names a number the
profile no longer has, a requirement the catalogue lacks, or a probe that is not a suite test naming one of
the entry's requirements. Numbers that bound nothing the target decides (Meta's own limits, prices, the
kit's own tolerance, the other reading of an ambiguity) are listed in :data:`NOT_A_TARGET_BOUNDARY` with
the reason.

How each probe reads the number: limits are tested at L (accepted, reaches Meta) and L+1 (refused before
Meta); counts as exactly L admitted and the (L+1)-th refused; lifetimes at start + T - 1 s (valid) and
start + T + 1 s (expired), the start bracketed by two reads of the target's clock, at every step of a flow
where the lifetime is checked. Keys are dotted paths into the profile (``rate_limit.requests``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Sweep:
    """The requirements a profile number bounds and the suite tests (``suites/<file>::<test>``) at its edge."""

    reqs: tuple[str, ...]
    probes: tuple[str, ...]
    how: str


_RL = "suites/test_boundaries_rate_limit.py"
_TTL = "suites/test_boundaries_ttl.py"
_TPL = "suites/test_boundaries_templates.py"

SWEEP: dict[str, Sweep] = {
    **{f"text_max_chars.{channel}": Sweep(
        ("SEND-TEXT-LIMIT",),
        ("suites/test_text_limits.py::test_text_at_the_limit_reaches_meta",
         "suites/test_text_limits.py::test_text_over_the_limit_is_rejected_before_meta"),
        f"{channel}: L ASCII characters reach Meta unchanged; L+1 is 400 text_too_long with actual/max, no Meta call")
       for channel in ("whatsapp", "instagram", "facebook")},
    "caption_max_chars": Sweep(
        ("MEDIA-SEND-CAPTION-MAX",),
        ("suites/test_send_media.py::test_caption_length_boundary",
         "suites/test_boundaries_sizes.py::test_caption_limit_holds_for_every_captioned_whatsapp_media_type"),
        "every channel (image) and every captioned WhatsApp media type: L accepted and sent, L+1 refused before Meta"),
    "filename_max_chars": Sweep(
        ("MEDIA-SEND-FILENAME-MAX",),
        ("suites/test_send_media.py::test_filename_length_boundary",),
        "every channel: L accepted (WhatsApp: reaches Meta as the document filename), L+1 refused before Meta"),
    "media_url_max_chars": Sweep(
        ("MEDIA-SEND-URL-MAX",),
        ("suites/test_send_media.py::test_media_url_length_boundary",),
        "every channel: an L-character URL reaches Meta, L+1 refused before Meta"),
    "template_name_max_chars": Sweep(
        ("TPL-NAME-MAX",),
        ("suites/test_templates.py::test_name_length_limit",),
        "L accepted and created at Meta, L+1 refused with no Meta write (and 1 accepted)"),
    "rate_limit.requests": Sweep(
        ("RATE-LIMIT-429", "RATE-LIMIT-PER-KEY", "RATE-LIMIT-RECOVERY"),
        (f"{_RL}::test_the_window_slides_and_refused_requests_are_not_counted",
         f"{_RL}::test_the_limit_counts_per_key_across_routes_not_per_account",
         f"{_RL}::test_every_operation_of_the_contract_is_throttled_without_effect"),
        "exactly L admitted and the (L+1)-th refused: per key across two routes, for two keys of one account; "
        "then every operation of the OpenAPI contract is 429 with no effect"),
    "rate_limit.window_seconds": Sweep(
        ("RATE-LIMIT-429", "RATE-LIMIT-RECOVERY"),
        (f"{_RL}::test_the_window_slides_and_refused_requests_are_not_counted",),
        "refused every 2 s until t0+W-1; at t0+W+1 exactly the slots of the requests that slid out are free "
        "(sliding, refused requests not counted)"),
    "request_limit.requests": Sweep(
        ("RATE-REQUEST-LIMIT", "RATE-REQUEST-LIMIT-SENDS-EXEMPT"),
        ("suites/test_v2026_request_limit.py::test_exactly_the_request_limit_is_admitted_per_window",
         "suites/test_v2026_request_limit.py::test_sends_are_exempt_and_the_request_limit_counts_per_key"),
        "fiwano-2026-10: exactly L GETs of a key admitted within one window, the (L+1)-th refused; L+1 sends take "
        "none of the L; a second key of the account is still served"),
    "request_limit.window_seconds": Sweep(
        ("RATE-REQUEST-LIMIT", "RATE-REQUEST-LIMIT-RETRY-AFTER"),
        ("suites/test_v2026_request_limit.py::test_exactly_the_request_limit_is_admitted_per_window",
         "suites/test_v2026_request_limit.py::test_the_request_limit_429_says_when_to_retry_and_the_key_is_served_then"),
        "fiwano-2026-10: bursts bracketed inside one window W; L per window never refused once the clock moved "
        "W on; Retry-After at most W and the key served once it elapsed"),
    "send_retry.max_retries": Sweep(
        ("SEND-RETRY-MAX",),
        ("suites/test_send_retries.py::test_retries_stop_after_seven_and_the_deadline",),
        "a send that always fails transiently reaches Meta at most 1 + N times ('up to N retries')"),
    "send_retry.deadline_seconds": Sweep(
        ("SEND-RETRY-DEADLINE",),
        ("suites/test_send_retries.py::test_retries_stop_after_seven_and_the_deadline",),
        "no attempt later than the deadline (+ one clock step) and none after it"),
    "send_retry_warning_after_retries": Sweep(
        ("SEND-RETRY-WARNING-NOTICE",),
        ("suites/test_send_retries.py::test_owner_is_warned_after_three_failed_retries",),
        "no warning after N-1 failed retries, one after N"),
    "relay_retry.max_retries": Sweep(
        ("RELAY-RETRY-MAX",),
        ("suites/test_relay_retries.py::test_at_most_max_retries",),
        "exactly 1 + N attempts: each retry arrives, the (N+1)-th never"),
    "relay_retry.backoff_seconds": Sweep(
        ("RELAY-RETRY-SCHEDULE",),
        ("suites/test_relay_retries.py::test_retries_follow_the_schedule",
         "suites/test_boundaries_relay.py::test_first_retry_of_every_event_follows_the_schedule"),
        "retry n not before gap(n) - tolerance, and by gap(n) + tolerance; the first retry so for every event "
        "of every channel"),
    "relay_retry.deadline_seconds": Sweep(
        ("RELAY-RETRY-DEADLINE",),
        ("suites/test_relay_retries.py::test_no_attempt_after_the_deadline",),
        "attempts at 0.4 and 0.8 of the deadline, none at 1.2"),
    "relay_retry.response_timeout_seconds": Sweep(
        ("RELAY-RETRY-TIMEOUT", "RELAY-2XX-ONCE"),
        ("suites/test_relay_retries.py::test_answer_slower_than_the_timeout_is_retried",
         "suites/test_relay_retries.py::test_any_2xx_answer_is_final"),
        "an answer slower than the timeout is retried; a prompt 2xx is final (real time: the one number that "
        "is not on the virtual clock)"),
    "setup_url_ttl_seconds": Sweep(
        ("CONNECT-SETUP-URL-EXPIRED", "CONNECT-SETUP-URL-TTL"),
        (f"{_TTL}::test_setup_url_opens_one_second_before_its_lifetime_and_not_one_after",
         f"{_TTL}::test_setup_url_lifetime_holds_when_meta_returns_to_the_callback",
         "suites/test_connect_flow.py::test_setup_url_for_a_whitelisted_redirect"),
        "expires_at = creation + T; opened at T-1 connects, at T+1 not; back at the callback at T-1 connects, "
        "at T+1 not"),
    "exchange_code_ttl_seconds": Sweep(
        ("CONNECT-CODE-TTL",),
        (f"{_TTL}::test_code_is_exchanged_one_second_before_its_lifetime_and_refused_one_after",
         f"{_TTL}::test_setup_url_lifetime_holds_when_meta_returns_to_the_callback"),
        "exchanged at issue + T - 1; refused at issue + T + 1, no channel; a code issued just before the setup "
        "URL expires is still exchanged after it (its own T)"),
    "media_ttl_seconds": Sweep(
        ("MEDIA-DL-TTL", "MEDIA-DL-EXPIRED-410"),
        (f"{_TTL}::test_media_downloads_one_second_before_its_lifetime_and_is_gone_one_after",),
        "expires_at = receipt + T (within the bracket); 200 at T-1, 410 at T+1, every channel"),
    "media_max_bytes": Sweep(
        ("MEDIA-MAX-SIZE",),
        ("suites/test_inbound_media.py::test_file_at_the_size_limit_is_kept",
         "suites/test_inbound_media.py::test_file_over_the_size_limit_is_not_stored"),
        "a file of exactly the limit is kept and downloadable; one byte more is not stored (download_url null, "
        "410)"),
    "profile_cache_seconds": Sweep(
        ("PROFILE-CACHE", "PROFILE-CACHE-EXPIRY"),
        (f"{_TTL}::test_profile_is_cached_one_second_before_its_lifetime_and_fetched_one_after",),
        "cached true with the first profile at T-1; cached false with Meta's new profile at T+1"),
    "customer_service_window_seconds": Sweep(
        ("SEND-WINDOW-WA", "SEND-WINDOW-IGFB"),
        (f"{_TTL}::test_a_send_one_second_inside_the_window_of_the_last_message_reaches_meta",
         "suites/test_windows.py::test_whatsapp_text_outside_the_window_fails_permanently",
         "suites/test_windows.py::test_instagram_and_messenger_reply_outside_the_window_fails"),
        "a send 1 s before the window of the customer's LAST message closes reaches Meta; 1 s after, a "
        "permanent failure"),
    "whatsapp_customer_window_seconds": Sweep(
        ("SEND-WINDOW-WA", "TPL-SEND-OUTSIDE-WINDOW"),
        (f"{_TTL}::test_a_send_one_second_inside_the_window_of_the_last_message_reaches_meta",
         "suites/test_template_send.py::test_template_reaches_a_customer_outside_the_window"),
        "the WhatsApp window: text 1 s inside reaches Meta; a template outside it still goes"),
    "token_lifetime_seconds": Sweep(
        ("TOKEN-LIFETIME",),
        ("suites/test_tokens.py::test_fresh_token_lives_about_sixty_days",),
        "token_expires_at about T after the connection (Meta decides the exact expiry)"),
    "token_refresh_before_seconds": Sweep(
        ("TOKEN-AUTO-REFRESH",),
        ("suites/test_tokens.py::test_token_is_refreshed_before_it_expires",),
        "no refresh before expiry - T, a refresh once it is due"),
    "trial_days": Sweep(
        ("TIER-TRIAL", "TIER-TRIAL-END-BLOCKS"),
        (f"{_TPL}::test_trial_serves_one_second_before_seven_days_and_blocks_one_after",),
        "expires_at = signup + T (within a second); a send at T-1 works, at T+1 is 402"),
    "template_edit.max_per_30_days": Sweep(
        ("TPL-UPDATE-10-PER-30-DAYS",),
        ("suites/test_templates.py::test_approved_template_is_edited_at_most_ten_times_in_30_days",
         f"{_TPL}::test_edit_quota_frees_one_second_after_the_first_edit_is_30_days_old"),
        "L edits accepted a day apart, the (L+1)-th refused; once the first is 30 days old one more is accepted"),
    "template_edit.min_interval_seconds": Sweep(
        ("TPL-UPDATE-ONCE-PER-DAY",),
        (f"{_TPL}::test_second_edit_is_refused_one_second_before_a_day_and_accepted_one_after",),
        "a second edit at T-1 refused, at T+1 accepted"),
    "template_edit_window_seconds": Sweep(
        ("TPL-UPDATE-10-PER-30-DAYS",),
        (f"{_TPL}::test_edit_quota_frees_one_second_after_the_first_edit_is_30_days_old",),
        "the (L+1)-th edit refused at first edit + T - 1, accepted at + T + 1"),
    "deleted_template_name_lock_seconds": Sweep(
        ("TPL-DELETE-NAME-LOCK",),
        (f"{_TPL}::test_deleted_name_is_locked_until_one_second_before_30_days_and_free_one_after",),
        "re-creating the name refused at deletion + T - 1, accepted at + T + 1"),
    "deleted_template_name_lock_days": Sweep(
        ("TPL-DELETE-NAME-LOCK",),
        (f"{_TPL}::test_deleted_name_is_locked_until_one_second_before_30_days_and_free_one_after",),
        "the same lock in days (the probe uses deleted_template_name_lock_seconds)"),
    "webhook_secret_autogen_hex_chars": Sweep(
        ("WEBHOOK-SECRET-FORMAT",),
        ("suites/test_inbound_types.py::test_channel_without_a_given_secret_gets_signed_events",),
        "an auto-generated secret is exactly N lower-case hex characters"),
}

# Numbers of the profile that bound nothing the target decides, with the reason (checked like SWEEP keys).
NOT_A_TARGET_BOUNDARY: dict[str, str] = {
    "media_max_bytes_upper": "the other reading of MEDIA-MAX-SIZE (10 MiB); the sweep probes the reading the "
                             "profile names (suites/test_inbound_media.py max_size)",
    "relay_retry.schedule_tolerance_seconds": "the kit's tolerance around the documented schedule, not a rule",
    "signed_url_min_expiry_seconds": "advice to the customer about their own signed URLs; Fiwano never sees "
                                     "the expiry",
    "send_retry.backoff_seconds": "the reference's own waits between send retries: the docs give only the number "
                                  "of retries and the ~20-minute deadline (send_retry.max_retries, .deadline_seconds)",
    "subscription_period_days": "the length of a billing period (billing is out of the API's reach; the suites "
                                "set expires_at through the harness)",
    "monthly_price_usd.starter": "a price (billing is out of the API's reach)",
    "monthly_price_usd.pro": "a price (billing is out of the API's reach)",
    **{f"meta_outbound_media_max_bytes.{key}": "Meta's own size limit, enforced by Meta (the simulator); the "
                                               "target only reports Meta's 131053 (MEDIA-SEND-META-ERRORS)"
       for key in ("whatsapp.image", "whatsapp.audio", "whatsapp.video", "whatsapp.document",
                   "instagram_facebook_min", "instagram_facebook_max")},
    **{f"meta_error_codes.{key}": "an error code, not a quantity"
       for key in ("permanent_invalid_parameter", "media_download_failed", "media_upload_error",
                   "recipient_invalid", "outside_window", "token", "throttling")},
}


def profile_numbers(profile: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths of every number (or list of numbers) in a profile, except the ``readings`` map."""
    paths: list[str] = []
    for key, value in profile.items():
        path = f"{prefix}{key}"
        if path == "readings":
            continue
        if isinstance(value, dict):
            paths += profile_numbers(value, f"{path}.")
        elif isinstance(value, bool):
            continue
        elif isinstance(value, (int, float)) or (isinstance(value, list) and value
                                                 and all(isinstance(v, (int, float)) for v in value)):
            paths.append(path)
    return paths


def probe_margin(clock: Any, steps: int = 3) -> float:
    """How far from an exact instant a probe stays, in whole seconds: 1 s, or more when the target answers
    slowly. Real time passes while a step runs (the virtual clock is the real one plus an offset), so a probe
    of ``steps`` requests sent "1 s before T" could land after T on a very loaded machine; the margin is the
    larger of 1 s and ``steps`` round trips of a clock read (the fastest of three), rounded up. On this box
    it is 1 s even at load 18. In real time (``--fiwano-real-time``) the clock is read locally, which says
    nothing about the target's round trips: the margin is then 2 s, for requests of a loaded box."""
    import math
    import time

    if getattr(clock, "real_time", False):
        return 2.0

    trips = []
    for _ in range(3):
        started = time.monotonic()
        clock.now()
        trips.append(time.monotonic() - started)
    return float(max(1, math.ceil(steps * min(trips))))
