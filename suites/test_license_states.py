"""Every subscription state of the contract gates sending, not only the states of the tier matrix.

suites/support_tiers.py crosses a chosen set of license states with every gated endpoint. Here every
(tier, status, source) the contract's Subscription enums allow (suites/enumerations.py) that the matrix
does not list is minted and probed on the two operations whose gate differs by state: a text send (needs an
active subscription; the channel rotates over all three) and a media send (needs active Pro: WhatsApp), so a state added to the
contract, or a source that a target maps to the wrong tier, cannot slip through.

Spec: fiwano-api.md "License Tiers", "subscription object", "Errors & Rate Limits" (402).
"""

from __future__ import annotations

import pytest

from suites.enumerations import state_id, subscription_states
from suites.support_tiers import ENDPOINTS, STATES, State, arrange

_MATRIX = {(s.tier, s.status, s.source) for s in STATES if s.arrival == "minted"}
EXTRA_STATES = [State(f"minted-{state_id(s)}", s[0], s[1], s[2]) for s in subscription_states()
                if s not in _MATRIX and not (s[1] == "none" and (None, "none", None) in _MATRIX)]
_BY_NAME = {e.name: e for e in ENDPOINTS}


def _cases(endpoint_name: str, channels: tuple[str, ...]) -> list:
    """One case per state; the channel rotates over ``channels`` from state to state, so each channel meets
    these states (the matrix already crosses its own states with every channel; this keeps the run short)."""
    endpoint = _BY_NAME[endpoint_name]
    usable = [c for c in channels if c in endpoint.channels]
    return [pytest.param(state, endpoint, usable[i % len(usable)], id=f"{state.name}-{usable[i % len(usable)]}")
            for i, state in enumerate(EXTRA_STATES)]


@pytest.mark.req("SUB-INACTIVE-402", "TIER-LICENSE-REQUIRED")
@pytest.mark.level("controlled")
@pytest.mark.parametrize("state,endpoint,channel_type", _cases("send-text", ("whatsapp", "instagram", "facebook")))
def test_every_contract_state_gates_a_text_send(state, endpoint, channel_type, account, channel, harness, simulator,
                                                sink, fiwano_config, rng):
    ctx = arrange(state, endpoint, channel_type, account=account, channel=channel, harness=harness,
                  simulator=simulator, sink=sink, rng=rng, timeout=fiwano_config.delivery_timeout,
                  quiet=fiwano_config.quiet_seconds)
    endpoint.probe(ctx, endpoint.allowed(state), endpoint.reqs)


@pytest.mark.req("TIER-SEND-MEDIA-PRO", "SUB-INACTIVE-402")
@pytest.mark.level("controlled")
@pytest.mark.parametrize("state,endpoint,channel_type", _cases("send-media", ("whatsapp",)))
def test_every_contract_state_gates_a_media_send(state, endpoint, channel_type, account, channel, harness, simulator,
                                                 sink, fiwano_config, rng):
    ctx = arrange(state, endpoint, channel_type, account=account, channel=channel, harness=harness,
                  simulator=simulator, sink=sink, rng=rng, timeout=fiwano_config.delivery_timeout,
                  quiet=fiwano_config.quiet_seconds)
    endpoint.probe(ctx, endpoint.allowed(state), endpoint.reqs)
