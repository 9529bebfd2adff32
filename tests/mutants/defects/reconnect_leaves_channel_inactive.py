"""Reconnecting a deleted channel refreshes its token and names but forgets to set it active again."""

from __future__ import annotations

REQUIREMENTS = ("CONNECT-RECONNECT",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.repos.channels import _COLUMNS, ChannelRepository

    class ForgetfulReactivation(ChannelRepository):
        def reactivate(self, channel_id, *, name, access_token, token_expires_at, **identifiers):
            sets = ["name = ?", "access_token = ?", "token_expires_at = ?"]  # no "is_active = 1"
            params: list = [name, access_token, token_expires_at]
            for column, value in identifiers.items():
                if column in _COLUMNS and value is not None:
                    sets.append(f"{column} = ?")
                    params.append(value)
            self.db.execute(f"UPDATE channels SET {', '.join(sets)} WHERE id = ?", (*params, channel_id))
            return self.get(channel_id)

    replace_component(reference.app, "ChannelRepository", ForgetfulReactivation)
