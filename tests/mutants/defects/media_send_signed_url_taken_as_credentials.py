"""Refuses presigned media URLs: a signature or credential parameter in the query is taken for credentials."""

from __future__ import annotations

import re

REQUIREMENTS = ("MEDIA-SEND-URL-SIGNED-OK",)

_SECRETS = re.compile(r"[?&][^=&]*(credential|signature|sig)=", re.IGNORECASE)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.v1
    from reference.urls import UnsafeURL

    original = reference.api.v1.check_https_url

    def no_secrets_in_query(url, **kwargs):
        if isinstance(url, str) and _SECRETS.search(url):
            raise UnsafeURL("media_url must not contain credentials")
        return original(url, **kwargs)

    replace_component(reference.api.v1, "check_https_url", no_secrets_in_query)
