"""Accepts media_url with credentials: the validator checks the URL with its userinfo stripped.

``https://user:pass@host/a.jpg`` passes as ``https://host/a.jpg`` and reaches Meta with the credentials.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

REQUIREMENTS = ("MEDIA-SEND-URL-NO-CREDENTIALS",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.v1

    original = reference.api.v1.check_https_url

    def without_userinfo(url, **kwargs):
        try:
            parts = urlsplit(url)
            stripped = urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1]))
        except (TypeError, ValueError):
            stripped = url
        original(stripped, **kwargs)
        return url

    replace_component(reference.api.v1, "check_https_url", without_userinfo)
