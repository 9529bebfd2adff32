"""Fake Meta: Graph API, OAuth, signed webhooks, virtual clock, faults and a journal, driven by a control API."""
