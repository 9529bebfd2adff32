"""A Meta event time is taken as it comes (NaN, Infinity, 1e20, "inf") and one unstorable entry (a lone
surrogate) is not set aside: the webhook answers 500 and every later entry of the batch is lost (the
reference before issue 18 rows 1 and 2)."""

from __future__ import annotations

REQUIREMENTS = ("META-WEBHOOK-HOSTILE-ANSWER", "META-WEBHOOK-HOSTILE-ENTRY-ISOLATED")


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.inbound as inbound

    def unchecked_seconds(value, *, millis):
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
        return number / 1000.0 if millis else number

    replace_component(inbound, "_seconds", unchecked_seconds)
    replace_component(inbound, "UNUSABLE_EVENT", ())  # no entry is ever set aside
