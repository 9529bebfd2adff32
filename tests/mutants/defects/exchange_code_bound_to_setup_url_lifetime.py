"""Refuses an exchange-code once the setup URL of its flow has expired, although the code itself is within
its own 5 minutes (the session's lifetime checked at the wrong step)."""

from __future__ import annotations

REQUIREMENTS = ("CONNECT-CODE-TTL",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.repos.connect import SetupRepository, code_hash

    class SessionBound(SetupRepository):
        def consume_code(self, code, account_id):
            row = self.db.one("SELECT s.expires_at AS session_expires FROM exchange_codes c JOIN setup_sessions s"
                              " ON s.id = c.session_id WHERE c.code_hash = ?", (code_hash(code),))
            if row is not None and row["session_expires"] <= self.clock.now():
                return None
            return super().consume_code(code, account_id)

    replace_component(reference.app, "SetupRepository", SessionBound)
