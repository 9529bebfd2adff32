"""Meta webhooks over 1 MB are refused with 413, and JSON nested deeper than 32 levels with 400: a batch near
Meta's 3 MB, or one carrying a deeply nested unknown field, loses all of its good entries."""

from __future__ import annotations

REQUIREMENTS = ("META-WEBHOOK-HOSTILE-ANSWER", "META-WEBHOOK-HOSTILE-ENTRY-ISOLATED")


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.bodylimit as bodylimit
    import reference.api.meta_webhook as meta_webhook

    replace_component(bodylimit, "MAX_META_BODY_BYTES", 1024 * 1024)
    replace_component(meta_webhook, "MAX_META_BODY", 1024 * 1024)
    original_loads = meta_webhook.json.loads

    def depth(raw: bytes) -> int:
        deepest = level = 0
        in_string = escaped = False
        for byte in raw:
            char = chr(byte)
            if in_string:
                if escaped:
                    escaped = False
                elif char == "\\":
                    escaped = True
                elif char == '"':
                    in_string = False
                continue
            if char == '"':
                in_string = True
            elif char in "[{":
                level += 1
                deepest = max(deepest, level)
            elif char in "]}":
                level -= 1
        return deepest

    class ShallowJson:
        def __getattr__(self, name):
            return getattr(meta_webhook.__dict__["_real_json"], name)

        @staticmethod
        def loads(raw, *args, **kwargs):
            if isinstance(raw, (bytes, bytearray)) and depth(bytes(raw)) > 32:
                raise RecursionError("nesting deeper than 32")
            return original_loads(raw, *args, **kwargs)

    meta_webhook._real_json = meta_webhook.json  # where ShallowJson finds the real module (not a component)
    replace_component(meta_webhook, "json", ShallowJson())
