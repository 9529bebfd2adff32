"""Profile fiwano-2026-10: a Bearer key takes precedence over X-API-Key when both are sent."""

from __future__ import annotations

REQUIREMENTS = ("AUTH-BEARER-X-API-KEY-WINS",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.v2026

    original = reference.v2026.presented_keys

    def bearer_first(x_api_key, authorization):
        bearer = reference.v2026.bearer_key(authorization)
        return [bearer] if bearer else original(x_api_key, authorization)

    replace_component(reference.v2026, "presented_keys", bearer_first)
