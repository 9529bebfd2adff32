"""Percent-decodes media_url before passing it to Meta: the link Meta receives is not the URL the caller gave."""

from __future__ import annotations

from urllib.parse import unquote

REQUIREMENTS = ("MEDIA-SEND-BY-LINK",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.v1
    from reference.sending import media_body

    def decoded_link(channel, recipient, media_type, url, caption, filename):
        return media_body(channel, recipient, media_type, unquote(url), caption, filename)

    replace_component(reference.api.v1, "media_body", decoded_link)
