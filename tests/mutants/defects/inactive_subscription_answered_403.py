"""A send with an inactive subscription (expired, canceled, none) is answered 403 Forbidden instead of 402."""

from __future__ import annotations

REQUIREMENTS = ('ERR-402-PAYMENT', 'SUB-INACTIVE-402')


def apply() -> None:
    import reference.api.v1
    from tests.mutants.defects._shared import remap_api_error

    remap_api_error(reference.api.v1, "sendable_channel", 402, 403)
