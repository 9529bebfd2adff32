"""Template list/get/create/update/delete do not check the channel type: Instagram and Facebook reach Meta."""

from __future__ import annotations

REQUIREMENTS = ("TPL-WA-ONLY",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.templates
    from reference.api.common import ApiError

    owned_channel = reference.api.templates.owned_channel

    def any_type(request, caller, channel_id):
        channel = owned_channel(request, caller, channel_id)
        if not channel.is_active:
            raise ApiError(400, "Channel is inactive; reconnect it via a new OAuth flow")
        if not caller.account.is_pro:
            raise ApiError(402, "WhatsApp templates require an active Pro license. Upgrade via the Billing page.")
        return channel

    replace_component(reference.api.templates, "template_channel", any_type)
