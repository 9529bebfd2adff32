"""setup-url accepts a redirect_uri registered under any API key of the account, not only the calling key."""

from __future__ import annotations

REQUIREMENTS = ("CONNECT-SETUP-REDIRECT-PER-KEY",)


def apply() -> None:
    from typing import Any

    from tests.mutants.seams import replace_component

    import reference.api.connect as connect
    from reference.redirects import matches

    def redirect_allowed(comps: Any, caller: Any, redirect_uri: str) -> bool:
        rows = comps.redirects.db.all("SELECT uri_pattern FROM redirects WHERE account_id = ?", (caller.account.id,))
        return any(matches(r["uri_pattern"], redirect_uri) for r in rows)  # the account's, not the key's

    replace_component(connect, "redirect_allowed", redirect_allowed)
