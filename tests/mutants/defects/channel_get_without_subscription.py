"""GET /channels/{id} answers a detail view without the subscription block that the list carries."""

from __future__ import annotations

REQUIREMENTS = ("CHANNEL-GET",)


def apply() -> None:
    from typing import Any

    from tests.mutants.seams import wrap

    from reference.api import v1

    def without_subscription(channel_detail: Any) -> Any:
        def detail(*args: Any) -> dict[str, Any]:
            view = dict(channel_detail(*args))
            view.pop("subscription", None)
            return view
        return detail

    wrap(v1, "channel_detail", without_subscription)
