"""/messages/send validates every recipient as a phone number (7-15 digits): a 16-digit IGSID/PSID is refused."""

from __future__ import annotations

REQUIREMENTS = ("CAP-REPLY-TO-FROM",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import re

    from pydantic import field_validator

    import reference.api.v1

    class PhoneRecipient(reference.api.v1.SendText):
        @field_validator("recipient")
        @classmethod
        def _phone(cls, value: str) -> str:
            if not re.fullmatch(r"\+?[0-9]{7,15}", value):
                raise ValueError("recipient must be a phone number in international format")
            return value

    replace_component(reference.api.v1, "SendText", PhoneRecipient)
