"""The callback step checks the setup session against the exchange code's 5 minutes instead of the setup
URL's 10: a user who spends more than 5 minutes in Meta's dialog is turned away at the callback."""

from __future__ import annotations

REQUIREMENTS = ("CONNECT-SETUP-URL-EXPIRED",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import dataclasses

    import reference.app
    from reference.repos.connect import SetupRepository

    class ShortAtCallback(SetupRepository):
        def get_session(self, session_id):
            import inspect

            session = super().get_session(session_id)
            caller = inspect.stack()[1].function
            if session is not None and caller == "setup_callback":
                return dataclasses.replace(session, expires_at=session.created_at + 300)
            return session

    replace_component(reference.app, "SetupRepository", ShortAtCallback)
