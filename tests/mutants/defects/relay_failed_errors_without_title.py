"""message.failed lists Meta's errors as {code, message} instead of the documented {code, title}."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-FAILED-WA",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.relay import RelayService

    class MessageKeyedErrors(RelayService):
        def emit(self, channel, event, data, **kwargs):
            if event == "message.failed" and isinstance(data.get("errors"), list):
                data = {**data, "errors": [{"code": e.get("code"), "message": e.get("title")} for e in data["errors"]]}
            return super().emit(channel, event, data, **kwargs)

    replace_component(reference.app, "RelayService", MessageKeyedErrors)
