"""An Instagram channel shows its Instagram account id as page_id instead of the id of the linked Page."""

from __future__ import annotations

REQUIREMENTS = ("CHANNEL-FIELDS-PER-TYPE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.channel_service as service

    original = service.channel_view

    def channel_view(channel, account):
        view = original(channel, account)
        if channel.channel_type == "instagram":
            view["page_id"] = channel.ig_account_id
        return view

    replace_component(service, "channel_view", channel_view)
