"""Redaction of API keys, webhook secrets and tokens in everything the reports write."""

from __future__ import annotations

import pytest

from reports.provenance import configuration_secrets, raw_configuration, redacted_configuration
from fiwano_conformance.shared.redact import MASK, redact, redact_mapping, strip_userinfo


@pytest.mark.parametrize(("text", "secret"), [
    ("X-API-Key: mip_live_a1B2c3D4e5", "a1B2c3D4e5"),
    ('{"api_key": "mip_live_zzzzzz123"}', "zzzzzz123"),
    ("x-api-key: plainkeyvalue", "plainkeyvalue"),
    ("Authorization: Bearer EAAB.ccc-ddd_eee", "EAAB.ccc-ddd_eee"),
    ("GET /v21.0/1/messages?access_token=EAAGtoken123&x=1", "EAAGtoken123"),
    ('{"webhook_secret":"whsec_abcdef"}', "whsec_abcdef"),
    ("app_secret = s3cr3tvalue", "s3cr3tvalue"),
    ("'client_secret': 'cs_123456'", "cs_123456"),
    ('{"user_access_token": "EAAuser999"}', "EAAuser999"),
])
def test_secret_shapes_are_masked(text, secret):
    out = redact(text)
    assert secret not in out and MASK in out


def test_known_secrets_are_masked_whatever_their_shape_and_redaction_is_idempotent():
    out = redact("the key is ab12cd34ef here", secrets=["ab12cd34ef"])
    assert out == f"the key is {MASK} here" and redact(out) == out
    assert redact("mip_live_<redacted>") == "mip_live_<redacted>"


def test_signatures_are_evidence_not_secrets():
    line = "X-Hub-Signature-256: sha256=0123abcd  x-webhook-signature: sha256=99ff"
    assert redact(line) == line


def test_url_credentials_and_secret_keys_in_configuration():
    assert strip_userinfo("https://user:pw@api.example.com/x") == f"https://{MASK}@api.example.com/x"
    options = {"fiwano_target": "https://bob:hunter2@t.example", "fiwano_api_keys": ["k1-abcdef"],
               "fiwano_level": "api", "fiwano_results": None}
    env = {"FIWANO_API_KEYS": "k2-ghijkl,k3-mnopqr", "FIWANO_SEED": "7", "FIWANO_SIM_APP_SECRET": "not-a-suite-setting"}
    settings = raw_configuration(options, env=env)
    # the option wins, but the overridden env keys are secrets all the same
    assert settings["api_keys"] == ["k1-abcdef"]
    assert set(configuration_secrets(options, env)) >= {"k1-abcdef", "k2-ghijkl", "k3-mnopqr", "bob", "hunter2",
                                                           "not-a-suite-setting"}
    shown = redacted_configuration(settings)
    text = repr(shown)
    for secret in ("k1-abcdef", "k2-ghijkl", "hunter2", "bob:"):
        assert secret not in text
    assert shown["level"] == "api" and shown["seed"] == "7" and "sim_app_secret" not in shown


def test_redact_mapping_masks_secret_named_keys_deeply():
    data = {"webhook_secret": "x", "nested": [{"token": "y", "name": "ok"}], "api_keys": ["a", "b"]}
    assert redact_mapping(data) == {"webhook_secret": MASK, "nested": [{"token": MASK, "name": "ok"}],
                                    "api_keys": [MASK, MASK]}
