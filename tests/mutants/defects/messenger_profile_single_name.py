"""The Messenger profile asks Meta for the user's single "name" field instead of first_name and last_name."""

from __future__ import annotations

REQUIREMENTS = ("PROFILE-FB",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.profiles

    fields = dict(reference.profiles.FIELDS)
    fields["facebook"] = ("name", "profile_pic")
    replace_component(reference.profiles, "FIELDS", fields)
