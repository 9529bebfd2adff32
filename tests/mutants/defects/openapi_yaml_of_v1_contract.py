"""Profile fiwano-2026-10: /api/v1/openapi.yaml serves the v1 document, not the profile's (its paths differ
from openapi.json's)."""

from __future__ import annotations

REQUIREMENTS = ("CONTRACT-OPENAPI-YAML-URL",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.v2026 as routes

    original = routes._rendered

    def yaml_of_v1(profile):
        return original(profile)[0], original("default")[1]

    replace_component(routes, "_rendered", yaml_of_v1)
