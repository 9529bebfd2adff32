"""Tier gating: every gated operation on every channel in every license state, generated from the one
table in suites/support_tiers.py (STATES x ENDPOINTS); the tests below only pick its rows. A state an account
is minted in runs at the simulated level, for every state the run has API keys of; a state reached by
changing a subscription needs the harness (controlled level).

Allowed: the operation works (not 402; sends reach Meta, webhooks arrive). Blocked: 402 with
``{"detail"}`` and nothing sent to Meta, or, for relay, no webhook at all.
Spec: fiwano-api.md "License Tiers", "subscription object", "Errors & Rate Limits" (402), "send-media",
"send-template", "WhatsApp Templates", "Important Notes" (Billing, Pro license).
"""

from __future__ import annotations

import pytest

from suites.support_tiers import arrange, cases


def run_case(state, endpoint, channel_type, account, channel, request, simulator, sink, fiwano_config, rng):
    """One case; the harness is asked for only when the case changes a subscription (controlled cases)."""
    ctx = arrange(state, endpoint, channel_type, account=account, channel=channel,
                  harness=lambda: request.getfixturevalue("harness"),
                  simulator=simulator, sink=sink, rng=rng, timeout=fiwano_config.delivery_timeout,
                  quiet=fiwano_config.quiet_seconds)
    endpoint.probe(ctx, endpoint.allowed(state), endpoint.reqs)


@pytest.mark.req("SUB-INACTIVE-402", "TIER-LICENSE-REQUIRED", "TIER-STARTER-TEXT")
@pytest.mark.parametrize("state,endpoint,channel_type", cases("send-text"))
def test_send_text_needs_an_active_license(state, endpoint, channel_type, account, channel, request, simulator,
                                           sink, fiwano_config, rng):
    run_case(state, endpoint, channel_type, account, channel, request, simulator, sink, fiwano_config, rng)


@pytest.mark.req("TIER-SEND-MEDIA-PRO", "SUB-INACTIVE-402")
@pytest.mark.parametrize("state,endpoint,channel_type", cases("send-media"))
def test_send_media_needs_an_active_pro_license(state, endpoint, channel_type, account, channel, request,
                                                simulator, sink, fiwano_config, rng):
    run_case(state, endpoint, channel_type, account, channel, request, simulator, sink, fiwano_config, rng)


@pytest.mark.req("TIER-SEND-TEMPLATE-PRO", "SUB-INACTIVE-402")
@pytest.mark.parametrize("state,endpoint,channel_type", cases("send-template"))
def test_send_template_needs_an_active_pro_license(state, endpoint, channel_type, account, channel, request,
                                                   simulator, sink, fiwano_config, rng):
    run_case(state, endpoint, channel_type, account, channel, request, simulator, sink, fiwano_config, rng)


@pytest.mark.req("TIER-TEMPLATES-PRO")
@pytest.mark.parametrize("state,endpoint,channel_type", cases("templates-list", "template-get", "template-create",
                                                              "template-update", "template-delete"))
def test_template_management_needs_an_active_pro_license(state, endpoint, channel_type, account, channel, request,
                                                         simulator, sink, fiwano_config, rng):
    run_case(state, endpoint, channel_type, account, channel, request, simulator, sink, fiwano_config, rng)


@pytest.mark.req("SUB-INACTIVE-NO-RELAY", "TIER-LICENSE-REQUIRED", "TIER-STARTER-TEXT")
@pytest.mark.parametrize("state,endpoint,channel_type", cases("relay-text", "relay-status"))
def test_relay_needs_an_active_license(state, endpoint, channel_type, account, channel, request, simulator, sink,
                                       fiwano_config, rng):
    run_case(state, endpoint, channel_type, account, channel, request, simulator, sink, fiwano_config, rng)


@pytest.mark.req("TIER-MEDIA-DOWNLOAD-PRO")
@pytest.mark.parametrize("state,endpoint,channel_type", cases("media-download"))
def test_media_download_needs_an_active_pro_license(state, endpoint, channel_type, account, channel, request,
                                                    simulator, sink, fiwano_config, rng):
    run_case(state, endpoint, channel_type, account, channel, request, simulator, sink, fiwano_config, rng)
