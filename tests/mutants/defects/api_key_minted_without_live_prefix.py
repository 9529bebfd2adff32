"""The service's API-key prefix is 'mip_' (the 'live_' of mip_live_ was dropped): keys are minted and checked with it."""

from __future__ import annotations

REQUIREMENTS = ("AUTH-KEY-PREFIX",)

WRONG_PREFIX = "mip_"


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.crypto

    # one constant: new_api_key mints with it and looks_like_api_key (require_api_key's pre-check) reads it
    replace_component(reference.crypto, "API_KEY_PREFIX", WRONG_PREFIX)
