"""send-template does not check the channel type: Instagram and Facebook channels go on to the template lookup."""

from __future__ import annotations

REQUIREMENTS = ("TPL-SEND-WA-ONLY",)


async def send_template(request, caller):
    # the reference handler without its "WhatsApp channels only" check (names resolve in its own module)
    comps = components(request)  # noqa: F821
    body = await parse_body(request, SendTemplate)  # noqa: F821
    channel = sendable_channel(request, caller, body.channel_id)  # noqa: F821
    if caller.account.tier != "pro":
        raise ApiError(402, "Sending templates requires a Pro license. Upgrade via the Billing page.")  # noqa: F821
    template = comps.templates.find(channel.id, body.template_name, body.language)
    if template is None or template.status != "APPROVED":
        try:
            await comps.templates.sync(channel)
        except TemplateError as exc:  # noqa: F821
            _raise(exc)  # noqa: F821
        template = comps.templates.find(channel.id, body.template_name, body.language)
    if template is None or template.status != "APPROVED":
        raise ApiError(400, f"Template {body.template_name!r} not found or not approved")  # noqa: F821
    variables = body.variables.model_dump(exclude_none=True) if body.variables else None
    return await comps.sending.send(account_id=caller.account.id, channel=channel, recipient=body.recipient,
                                    kind="template", text=None,
                                    meta_request=template_body(body.recipient, template, variables))  # noqa: F821


def apply() -> None:
    import reference.api.templates

    # swap the body of the registered handler (the router keeps the same function object)
    reference.api.templates.send_template.__code__ = send_template.__code__
