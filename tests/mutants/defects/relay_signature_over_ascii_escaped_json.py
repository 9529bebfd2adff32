"""Signs the ASCII-escaped JSON (\\uXXXX) while sending raw UTF-8: signatures fail for non-ASCII bodies only.

The signer re-serialises the payload with the same compact separators but json's default
``ensure_ascii=True``; for pure-ASCII bodies the bytes agree, for emoji, CJK or RTL text they do not.
"""

from __future__ import annotations

import json

REQUIREMENTS = ("RELAY-SIGNATURE-UNICODE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.crypto import WebhookSigner

    class AsciiEscapingSigner(WebhookSigner):
        def sign(self, body: bytes, secret: str) -> str:
            escaped = json.dumps(json.loads(body), separators=(",", ":")).encode("ascii")
            return super().sign(escaped, secret)

    replace_component(reference.app, "WebhookSigner", AsciiEscapingSigner)
