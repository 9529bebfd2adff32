"""Turns a run's raw results into results.json, report.html, junit.xml and reproduction bundles.

``collector`` (the pytest plugin, ``-p reports.collector``) records a run; ``model`` is the data model and
status taxonomy (with the known-failures rule); ``outputs`` writes every file from one model through
``html``, ``junit`` and ``repro``; ``diff`` compares two runs; ``redact``, ``provenance``, ``docs`` and
``schema`` are helpers (the headless-Chromium check of a page is test code: tests/reports/browser_check.py).
See docs/reports.md.
May import the contract only (docs/architecture.md §1).
"""
