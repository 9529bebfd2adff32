"""Check-then-mark without atomicity: a code is marked used only a moment after it was checked.

The classic time-of-check/time-of-use race: parallel exchanges of one code all pass the check before the
first one marks it, so several channels (or several successes) come out of one single-use code.
"""

from __future__ import annotations

import threading

REQUIREMENTS = ("CONNECT-CODE-CONCURRENT",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.repos.connect import SetupRepository, code_hash

    class LateMarking(SetupRepository):
        def consume_code(self, code, account_id):
            asset = self.peek_code(code, account_id)
            if asset is not None:
                now = self.clock.now()
                threading.Timer(0.5, lambda: self.db.execute(
                    "UPDATE exchange_codes SET used_at = ? WHERE code_hash = ?", (now, code_hash(code)))).start()
            return asset

    replace_component(reference.app, "SetupRepository", LateMarking)
