"""subscription.expires_at is reported one day before the real end of the subscription.

(A naive timestamp without Z or offset, the earlier defect here, is now an accepted reading: offset-less
timestamps are read as UTC, docs/requirements.md.)
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

REQUIREMENTS = ("SUB-EXPIRES-AT",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.channel_service as service

    original = service.subscription_view

    def subscription_view(account):
        view = original(account)
        if account is not None and account.sub_expires_at is not None and view["expires_at"] is not None:
            moment = datetime.fromtimestamp(account.sub_expires_at, tz=timezone.utc) - timedelta(days=1)
            view["expires_at"] = moment.isoformat(timespec="seconds").replace("+00:00", "Z")
        return view

    replace_component(service, "subscription_view", subscription_view)
