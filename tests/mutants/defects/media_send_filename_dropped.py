"""Never passes the filename of a WhatsApp document to Meta: the field is validated and then forgotten."""

from __future__ import annotations

REQUIREMENTS = ("MEDIA-SEND-FILENAME-WA",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.v1
    from reference.sending import media_body

    def without_filename(channel, recipient, media_type, url, caption, filename):
        return media_body(channel, recipient, media_type, url, caption, None)

    replace_component(reference.api.v1, "media_body", without_filename)
