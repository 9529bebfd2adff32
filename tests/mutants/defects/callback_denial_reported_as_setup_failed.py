"""A cancelled Meta dialog is reported to the redirect_uri as error=setup_failed instead of error=access_denied."""

from __future__ import annotations

REQUIREMENTS = ("CONNECT-CALLBACK-DENIED",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.connect

    original = reference.api.connect.add_query

    def one_error_code(uri: str, params: dict[str, str]) -> str:
        if params.get("error") == "access_denied":
            params = {"error": "setup_failed", "message": "The user cancelled the Meta dialog"}
        return original(uri, params)

    replace_component(reference.api.connect, "add_query", one_error_code)
