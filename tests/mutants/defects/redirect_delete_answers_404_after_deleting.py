"""DELETE /redirects/{id} removes the redirect but answers 404: the repository re-reads the row after deleting it."""

from __future__ import annotations

REQUIREMENTS = ("API-DELETE-STATUS",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.repos.connect import RedirectRepository

    class RereadingRedirects(RedirectRepository):
        def delete(self, api_key_id, redirect_id):
            self.db.execute("DELETE FROM redirects WHERE id = ? AND api_key_id = ?", (redirect_id, api_key_id))
            # "was it found?" asked after the DELETE: never true any more
            return self.db.one("SELECT 1 FROM redirects WHERE id = ? AND api_key_id = ?",
                               (redirect_id, api_key_id)) is not None

    replace_component(reference.app, "RedirectRepository", RereadingRedirects)
