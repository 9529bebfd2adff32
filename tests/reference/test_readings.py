"""The reference's documented alternative readings (reference/readings.py, setting ``readings``)."""

from __future__ import annotations

import email.utils

import httpx
import pytest
from fastapi.testclient import TestClient

from reference.app import create_app
from reference.readings import READINGS, parse_setting
from tests.reference.conftest import Ctx, FakeMetaTransport, make_settings

ALTERNATIVES = {rid: others[0] for rid, (_own, others) in READINGS.items()}


@pytest.fixture
def alt(tmp_path, fake_meta, sink):
    """The reference switched to every alternative reading, with extra fields."""
    app = create_app(make_settings(tmp_path, readings=ALTERNATIVES, extra_fields=True),
                     meta_transport=FakeMetaTransport(fake_meta), webhook_transport=httpx.MockTransport(sink.handler))
    with TestClient(app) as client:
        yield Ctx(client, fake_meta, sink)


def test_the_setting_takes_pairs_and_refuses_what_is_no_documented_reading():
    assert parse_setting("ERR-FORMAT=string-or-object, REDIRECT-LIST=bare-array") == {
        "ERR-FORMAT": "string-or-object", "REDIRECT-LIST": "bare-array"}
    for bad in ("ERR-FORMAT=anything", "NO-SUCH-ID=x", "ERR-FORMAT"):
        with pytest.raises(ValueError):
            parse_setting(bad)


def test_rest_answers_follow_the_alternative_readings(alt):
    account = alt.account()
    created = alt.api("POST", "/redirects", account, json={"uri_pattern": "https://app.example.com/cb"})
    assert created.status_code == 200 and created.json()["x_reference_build"]  # ok-200, extra field
    listed = alt.api("GET", "/redirects", account)
    assert isinstance(listed.json(), list) and listed.json()[0]["uri_pattern"] == "https://app.example.com/cb"
    invalid = alt.api("POST", "/redirects", account, json={})
    assert invalid.status_code == 400 and isinstance(invalid.json()["detail"], list)  # bad-request-400
    missing = alt.api("GET", "/channels/nope", account)
    assert missing.status_code == 404 and missing.json()["detail"]["message"] == "Channel not found"
    assert alt.api("DELETE", f"/redirects/{created.json()['id']}", account).status_code == 204
    alt.api("POST", "/redirects", account, json={"uri_pattern": "https://app.example.com/setup"})
    setup = alt.api("POST", "/channels/setup-url", account,
                    json={"channel_type": "whatsapp", "redirect_uri": "https://app.example.com/setup"})
    assert setup.status_code == 201 and setup.json()["setup_url"]  # CONNECT-SETUP-URL created-201


def test_channel_views_show_null_identifiers_and_naive_times(alt):
    account = alt.account()
    channel = alt.connect(account, "instagram")
    view = alt.api("GET", f"/channels/{channel['id']}", account).json()
    assert view["phone_number_id"] is None and view["waba_id"] is None and view["ig_account_id"]
    assert not view["connected_at"].endswith("Z") and view["health"]["status"] == "ok"


def test_invalid_events_are_refused_under_the_rejected_reading(alt):
    account = alt.account()
    channel = alt.connect(account, "instagram")
    response = alt.api("PATCH", f"/channels/{channel['id']}", account,
                       json={"webhook_events": ["message.received", "message.sent"]})
    assert response.status_code == 400 and "message.sent" in response.json()["detail"]["message"]
    assert alt.api("GET", f"/channels/{channel['id']}", account).json()["webhook_events"] == []


def test_retry_after_is_an_http_date(alt, monkeypatch):
    account = alt.account()
    monkeypatch.setattr(alt.client.app.state.components.rate_limiter, "limit", 2)
    answers = [alt.api("GET", "/channels", account) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert email.utils.parsedate_to_datetime(answers[-1].headers["Retry-After"]).tzinfo is not None
