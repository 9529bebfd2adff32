"""exchange-code ignores the given webhook_events (its request model lacks the field): the channel starts with none."""

from __future__ import annotations

REQUIREMENTS = ("CONNECT-EXCHANGE-EVENTS",)


def apply() -> None:
    from pydantic import BaseModel, ConfigDict, Field

    import reference.api.connect

    class NoEventsField(BaseModel):
        model_config = ConfigDict(extra="ignore")
        code: str = Field(min_length=1, max_length=512)
        webhook_url: str | None = Field(default=None, max_length=4096)
        webhook_secret: str | None = Field(default=None, max_length=4096)

    reference.api.connect.ExchangeRequest = NoEventsField
