"""Does not record an inbound file whose download from Meta failed: its media_id is unknown (404, not 410)."""

from __future__ import annotations


REQUIREMENTS = ("MEDIA-DL-FAILED-410",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.crypto import new_id
    from reference.media import MediaRepository, StoredMedia

    class SuccessesOnly(MediaRepository):
        def save(self, *, content, ttl_seconds, **kwargs):
            if content is not None:
                return super().save(content=content, ttl_seconds=ttl_seconds, **kwargs)
            now = self.clock.now()
            fields = {k: v for k, v in kwargs.items() if k in StoredMedia.__dataclass_fields__}
            return StoredMedia(id=new_id(), content=None, created_at=now, expires_at=now + ttl_seconds, **fields)

    replace_component(reference.app, "MediaRepository", SuccessesOnly)
