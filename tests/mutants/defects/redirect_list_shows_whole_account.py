"""GET /redirects lists the redirects of every key of the account, not only those of the calling API key."""

from __future__ import annotations

REQUIREMENTS = ("REDIRECT-LIST",)


def apply() -> None:
    from typing import Any

    from tests.mutants.seams import replace_component

    import reference.api.connect as connect
    from reference.repos.connect import Redirect

    def key_redirects(comps: Any, caller: Any) -> list[Redirect]:
        rows = comps.redirects.db.all("SELECT * FROM redirects WHERE account_id = ? ORDER BY created_at, id",
                                      (caller.account.id,))
        return [Redirect(r["id"], r["account_id"], r["api_key_id"], r["uri_pattern"]) for r in rows]

    replace_component(connect, "key_redirects", key_redirects)
