"""The Instagram profile asks Meta for username, name and profile_pic only: follower_count and is_verified_user are missing."""

from __future__ import annotations

REQUIREMENTS = ("PROFILE-IG",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.profiles

    fields = dict(reference.profiles.FIELDS)
    fields["instagram"] = ("username", "name", "profile_pic")
    replace_component(reference.profiles, "FIELDS", fields)
