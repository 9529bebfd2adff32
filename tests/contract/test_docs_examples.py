"""Every JSON example of the docs is in the contract and validates against its schema.

The docs (a snapshot in contract/source/fiwano-api.md) are scanned for JSON blocks and curl -d
bodies. Webhook payloads are validated with contract/webhooks/; everything else must equal an
example attached to contract/openapi.yaml, and is validated against the schema it is attached to.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

import contract
from suites.contract_checks import webhook_errors
from tests.contract.docs_extract import extract
from tests.contract.test_openapi import _examples, _validator

SNAPSHOT = contract.CONTRACT_DIR / "source" / "fiwano-api.md"
SHARED_SPEC = Path(os.environ.get("FIWANO_SPEC", "/work/shared/spec/fiwano-api.md"))
EXPECTED_DOC_EXAMPLES = 32  # 18 bodies/payloads + 14 curl request bodies (duplicates included)


@pytest.fixture(scope="module")
def doc_examples():
    examples, unparsable = extract(SNAPSHOT.read_text(encoding="utf-8"))
    return examples, unparsable


def test_snapshot_matches_the_shared_docs():
    """Drift detection: the snapshot is the docs the contract was written from."""
    if not SHARED_SPEC.exists():
        pytest.skip(f"no shared docs at {SHARED_SPEC} (set FIWANO_SPEC to compare)")
    assert hashlib.sha256(SHARED_SPEC.read_bytes()).hexdigest() == hashlib.sha256(SNAPSHOT.read_bytes()).hexdigest(), \
        "the docs changed: re-read them, update the contract and requirements, then refresh contract/source/"


def test_only_the_envelope_sketch_is_not_json(doc_examples):
    _, unparsable = doc_examples
    assert len(unparsable) == 1 and '"data": { ... }' in unparsable[0][1]


def test_every_docs_example_validates(doc_examples, capsys):
    examples, _ = doc_examples
    spec = contract.load_openapi()
    attached = list(_examples(spec))
    problems, webhooks, rest = [], 0, 0
    for example in examples:
        value = example.value
        if isinstance(value, dict) and "event" in value:
            webhooks += 1
            errors = webhook_errors(value)
            if errors:
                problems.append(f"docs line {example.line} (webhook {value.get('event')}): {errors}")
            stored = [json.loads(p.read_text(encoding="utf-8")) for p in contract.WEBHOOK_EXAMPLES_DIR.glob("*.json")]
            if value not in stored:
                problems.append(f"docs line {example.line}: webhook example not stored in contract/webhooks/examples/")
            continue
        rest += 1
        matches = [(label, pointer) for label, pointer, stored in attached if stored == value]
        if not matches:
            problems.append(f"docs line {example.line} ({example.kind}): not attached to contract/openapi.yaml: "
                            f"{json.dumps(value)[:100]}")
            continue
        for label, pointer in matches:
            errors = list(_validator(spec, pointer).iter_errors(value))
            if errors:
                problems.append(f"docs line {example.line} as {label}: {errors[0].message}")
    assert not problems, "\n".join(problems)
    assert len(examples) == EXPECTED_DOC_EXAMPLES
    with capsys.disabled():
        print(f"\n[contract] {len(examples)} docs examples validated "
              f"({webhooks} webhook payloads, {rest} REST bodies and requests)")
