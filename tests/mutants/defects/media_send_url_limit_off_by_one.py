"""Accepts a media_url of 2049 characters: the URL length limit is off by one."""

from __future__ import annotations

REQUIREMENTS = ("MEDIA-SEND-URL-MAX",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    from pydantic import Field

    import reference.api.v1

    original = reference.api.v1.check_https_url

    class LooseUrl(reference.api.v1.SendMedia):
        media_url: str = Field(min_length=1, max_length=2049)

    def one_more(url, *, max_length=None, **kwargs):
        return original(url, max_length=None if max_length is None else max_length + 1, **kwargs)

    # the one limit, used where it is checked (the request model and the URL validator call)
    replace_component(reference.api.v1, "SendMedia", LooseUrl)
    replace_component(reference.api.v1, "check_https_url", one_more)
