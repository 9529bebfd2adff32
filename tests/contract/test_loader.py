"""contract/__init__.py: every file of the contract is found and parsed through the loader."""

from __future__ import annotations

import contract


def test_files_exist():
    for path in (contract.OPENAPI_FILE, contract.HARNESS_FILE, contract.REQUIREMENTS_FILE, contract.PENDING_FILE,
                 contract.PROFILE_SCHEMA_FILE, contract.PROFILES_DIR / "default.yaml"):
        assert path.is_file(), path


def test_loaders():
    assert contract.load_openapi()["openapi"].startswith("3.1")
    assert contract.load_harness()["openapi"].startswith("3.1")
    assert "SEND-TEXT-LIMIT" in contract.load_requirements()
    assert isinstance(contract.load_pending(), list)
    assert contract.load_profile()["name"] == "default"
    assert contract.load_profile_schema()["type"] == "object"
    assert set(contract.WEBHOOK_EVENTS) <= set(contract.load_webhook_schemas())


def test_registry_resolves_relative_refs():
    registry = contract.webhook_schema_registry()
    for schema in contract.load_webhook_schemas().values():
        assert registry[schema["$id"]].contents is schema or registry[schema["$id"]].contents == schema
