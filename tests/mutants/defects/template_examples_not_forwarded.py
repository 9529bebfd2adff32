"""Strips the example values from the components before the creation request goes to Meta."""

from __future__ import annotations

REQUIREMENTS = ("TPL-CREATE-EXAMPLE-FORWARDED",)


def _strip(component):
    out = {k: v for k, v in component.items() if k != "example"}
    if isinstance(out.get("buttons"), list):
        out["buttons"] = [{k: v for k, v in b.items() if k != "example"} if isinstance(b, dict) else b
                          for b in out["buttons"]]
    return out


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.templates import TemplateService

    class NoExamples(TemplateService):
        async def create(self, channel, body):
            return await super().create(channel, {**body, "components": [_strip(c) for c in body["components"]]})

    replace_component(reference.app, "TemplateService", NoExamples)
