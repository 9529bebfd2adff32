"""setup-url lower-cases channel_type before validating it, so "WhatsApp" is accepted instead of refused."""

from __future__ import annotations

REQUIREMENTS = ("CONNECT-SETUP-CHANNEL-TYPE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    from pydantic import field_validator

    import reference.api.connect

    class LenientSetupUrlRequest(reference.api.connect.SetupUrlRequest):
        @field_validator("channel_type", mode="before")
        @classmethod
        def _lower(cls, value):
            return value.lower() if isinstance(value, str) else value

    replace_component(reference.api.connect, "SetupUrlRequest", LenientSetupUrlRequest)
