"""exchange-code requires webhook_url: a request with only the code is refused as a validation error."""

from __future__ import annotations

REQUIREMENTS = ("CONNECT-EXCHANGE-CODE-ONLY",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    from pydantic import Field

    import reference.api.connect

    class UrlRequired(reference.api.connect.ExchangeRequest):
        webhook_url: str = Field(min_length=1, max_length=4096)

    replace_component(reference.api.connect, "ExchangeRequest", UrlRequired)
