"""HTTP layer of the reference: routers per surface (REST v1, Meta webhook, harness)."""
