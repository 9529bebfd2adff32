"""The Instagram channel representation (exchange-code answer, GET, list) shows the linked Page id as ig_account_id."""

from __future__ import annotations

REQUIREMENTS = ("CONNECT-EXCHANGE-OK",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.channel_service

    original = reference.channel_service.channel_view

    def page_id_copied(channel, account):
        view = original(channel, account)
        if channel.channel_type == "instagram":
            view["ig_account_id"] = channel.page_id
        return view

    replace_component(reference.channel_service, "channel_view", page_id_copied)
