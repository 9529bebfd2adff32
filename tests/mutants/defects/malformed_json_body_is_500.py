"""A malformed JSON body is a 500: the body is parsed with json.loads and the JSONDecodeError is not caught."""

from __future__ import annotations

REQUIREMENTS = ("ERR-VALIDATION-STATUS",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import json

    import reference.api.common
    from reference.api.common import ApiError

    async def read_json(request, *, required: bool = True):
        raw = await request.body()
        if not raw.strip():
            if required:
                raise ApiError(422, "Request body is required (JSON object)")
            return None
        return json.loads(raw)  # JSONDecodeError / UnicodeDecodeError escape as 500

    replace_component(reference.api.common, "read_json", read_json)  # what parse_body calls
