"""The service's API-key prefix is 'mip_' (the 'live_' of mip_live_ was dropped): keys are minted and checked with it."""

from __future__ import annotations

REQUIREMENTS = ("AUTH-KEY-PREFIX",)

WRONG_PREFIX = "mip_"


def apply() -> None:
    from tests.mutants.seams import replace_component

    import secrets

    import reference.api.common
    import reference.repos.accounts

    def new_api_key() -> str:
        return WRONG_PREFIX + secrets.token_urlsafe(32)

    replace_component(reference.repos.accounts, "new_api_key", new_api_key)
    # The reference spells the prefix twice (crypto.API_KEY_PREFIX and a literal in require_api_key's format
    # pre-check); one wrong prefix constant changes both. The dependency is already bound to the routes, so its
    # literal is swapped in place rather than rebinding the name.
    auth = reference.api.common.require_api_key
    auth.__code__ = auth.__code__.replace(
        co_consts=tuple(WRONG_PREFIX if c == "mip_live_" else c for c in auth.__code__.co_consts))
