"""Accepts http:// media_url as well as https://: the scheme check allows both."""

from __future__ import annotations

REQUIREMENTS = ("MEDIA-SEND-URL-HTTPS",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.v1

    original = reference.api.v1.check_https_url

    def http_or_https(url, **kwargs):
        if isinstance(url, str) and url[:7].lower() == "http://":
            original("https://" + url[7:], **kwargs)
            return url
        return original(url, **kwargs)

    replace_component(reference.api.v1, "check_https_url", http_or_https)
