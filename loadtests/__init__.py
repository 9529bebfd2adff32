"""Locust load profiles with pass/fail gates and post-run reconciliation."""
