"""An unknown completion code crashes exchange-code with a 500: the code lookup dereferences a missing row."""

from __future__ import annotations

REQUIREMENTS = ("CONNECT-CODE-UNKNOWN",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import json

    import reference.app
    from reference.repos.connect import SetupRepository, code_hash

    class UncheckedLookup(SetupRepository):
        def peek_code(self, code, account_id):
            row = self.db.one("SELECT asset FROM exchange_codes WHERE code_hash = ? AND account_id = ?"
                              " AND used_at IS NULL AND expires_at > ?",
                              (code_hash(code), account_id, self.clock.now()))
            return json.loads(row["asset"])  # no "if row": an unknown code raises TypeError

    replace_component(reference.app, "SetupRepository", UncheckedLookup)
