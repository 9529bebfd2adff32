"""Profile fiwano-2026-10: /api/v1/openapi.json serves the paths but drops the openapi version field."""

from __future__ import annotations

REQUIREMENTS = ("CONTRACT-OPENAPI-JSON-URL",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import json

    import reference.api.v2026 as routes

    original = routes._rendered

    def without_version(profile):
        as_json, as_yaml = original(profile)
        document = json.loads(as_json)
        document.pop("openapi", None)
        return json.dumps(document).encode(), as_yaml

    replace_component(routes, "_rendered", without_version)
