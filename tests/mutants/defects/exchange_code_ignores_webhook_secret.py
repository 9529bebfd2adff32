"""exchange-code ignores a given webhook_secret (its request model lacks the field) and generates a random one."""

from __future__ import annotations

REQUIREMENTS = ("CONNECT-EXCHANGE-SECRET-CUSTOM",)


def apply() -> None:
    from typing import Annotated

    from pydantic import BaseModel, ConfigDict, Field

    import reference.api.connect

    class NoSecretField(BaseModel):
        model_config = ConfigDict(extra="ignore")
        code: str = Field(min_length=1, max_length=512)
        webhook_url: str | None = Field(default=None, max_length=4096)
        webhook_events: list[Annotated[str, Field(max_length=100)]] | None = Field(default=None, max_length=50)

    reference.api.connect.ExchangeRequest = NoSecretField
