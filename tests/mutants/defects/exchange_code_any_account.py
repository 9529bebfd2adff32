"""A completion code is accepted from any account's key, not only from the account that ran the setup."""

from __future__ import annotations

REQUIREMENTS = ("CONNECT-CODE-BOUND-TO-ACCOUNT",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.repos.connect import SetupRepository, code_hash

    class UnboundCodes(SetupRepository):
        def _owner(self, code, account_id):
            row = self.db.one("SELECT account_id FROM exchange_codes WHERE code_hash = ?", (code_hash(code),))
            return row["account_id"] if row else account_id

        def peek_code(self, code, account_id):
            return super().peek_code(code, self._owner(code, account_id))

        def consume_code(self, code, account_id):
            return super().consume_code(code, self._owner(code, account_id))

    replace_component(reference.app, "SetupRepository", UnboundCodes)
