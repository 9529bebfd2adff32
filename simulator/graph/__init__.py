"""The Graph API surface of the fake Meta: request parsing, the request pipeline and per-channel handlers."""
