"""Signs customer webhooks over re-serialized JSON instead of the exact bytes it sends.

A classic defect: the signer parses the body and dumps it again (default separators), so the HMAC is
computed over bytes the receiver never gets and every verification on the customer's side fails.
"""

from __future__ import annotations

import json

REQUIREMENTS = ("RELAY-SIGNATURE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.crypto import WebhookSigner

    class ReserializingSigner(WebhookSigner):
        def sign(self, body: bytes, secret: str) -> str:
            return super().sign(json.dumps(json.loads(body)).encode("utf-8"), secret)

    replace_component(reference.app, "WebhookSigner", ReserializingSigner)
