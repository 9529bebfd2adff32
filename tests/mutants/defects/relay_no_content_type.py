"""Posts webhook bodies without a Content-Type header: the JSON arrives untyped.

The sender builds its own header set and forgets Content-Type; httpx sends raw ``content=`` bytes without one.
"""

from __future__ import annotations

REQUIREMENTS = ("RELAY-POST-JSON",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.relay import RelaySender

    class UntypedSender(RelaySender):
        def headers(self, body, secret, event, delivery_id):
            headers = super().headers(body, secret, event, delivery_id)
            headers.pop("Content-Type", None)
            return headers

    replace_component(reference.app, "RelaySender", UntypedSender)
