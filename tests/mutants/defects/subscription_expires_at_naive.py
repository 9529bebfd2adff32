"""subscription.expires_at is written without a time zone (naive ISO-8601, no Z or offset)."""

from __future__ import annotations

from datetime import datetime, timezone

REQUIREMENTS = ("SUB-EXPIRES-AT",)


def apply() -> None:
    import reference.channel_service as service

    original = service.subscription_view

    def subscription_view(account):
        view = original(account)
        if account is not None and account.sub_expires_at is not None and view["expires_at"] is not None:
            moment = datetime.fromtimestamp(account.sub_expires_at, tz=timezone.utc).replace(tzinfo=None)
            view["expires_at"] = moment.isoformat(timespec="seconds")
        return view

    service.subscription_view = subscription_view
