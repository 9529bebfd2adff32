"""DELETE /redirects/{id} deletes by id alone: any API key, of any account, can remove any redirect."""

from __future__ import annotations

REQUIREMENTS = ("REDIRECT-DELETE-404",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.repos.connect import RedirectRepository

    class UnscopedDelete(RedirectRepository):
        def delete(self, api_key_id, redirect_id):
            return self.db.execute("DELETE FROM redirects WHERE id = ?", (redirect_id,)) > 0

    replace_component(reference.app, "RedirectRepository", UnscopedDelete)
