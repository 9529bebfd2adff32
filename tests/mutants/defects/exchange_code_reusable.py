"""Completion codes are never marked used: the same code can be exchanged again and again."""

from __future__ import annotations

REQUIREMENTS = ("CONNECT-CODE-SINGLE-USE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.repos.connect import SetupRepository

    class ReusableCodes(SetupRepository):
        def consume_code(self, code, account_id):
            return self.peek_code(code, account_id)

    replace_component(reference.app, "SetupRepository", ReusableCodes)
