"""Reads the media row without a None check: an unknown media_id crashes the download with a 500, not 404."""

from __future__ import annotations

REQUIREMENTS = ("MEDIA-DL-404",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.media import MediaRepository, StoredMedia

    class NoNoneCheck(MediaRepository):
        def get(self, media_id):
            row = self.db.one("SELECT * FROM media WHERE id = ?", (media_id,))
            values = {k: row[k] for k in StoredMedia.__dataclass_fields__}
            values["content"] = bytes(row["content"]) if row["content"] is not None else None
            return StoredMedia(**values)

    replace_component(reference.app, "MediaRepository", NoNoneCheck)
