"""Load tests for Fiwano targets: Locust users and one profile-driven shape, per-key rate-limit gates, and the
post-run reconciliation of the simulator's journal and a webhook sink. Run with ``fiwano-conformance load`` or
``locust -f loadtests/locustfile.py``; see docs/loadtests.md."""
