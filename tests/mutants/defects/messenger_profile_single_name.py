"""The Messenger profile asks Meta for the user's single "name" field instead of first_name and last_name."""

from __future__ import annotations

REQUIREMENTS = ("PROFILE-FB",)


def apply() -> None:
    import reference.profiles

    fields = dict(reference.profiles.FIELDS)
    fields["facebook"] = ("name", "profile_pic")
    reference.profiles.FIELDS = fields
