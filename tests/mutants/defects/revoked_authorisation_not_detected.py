"""Meta's 190/458 "user has not authorized application" on a send is taken as an ordinary error: the channel stays active."""

from __future__ import annotations

REQUIREMENTS = ("CHANNEL-REVOKED-INACTIVE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.sending

    replace_component(reference.sending, "authorisation_revoked", lambda result: False)
