"""Real Meta client libraries against the simulator: if pywa/pyfacebook work, the wire shapes are right."""

from __future__ import annotations

import httpx
import pytest

from .conftest import APP_SECRET

import pywa  # noqa: F401  (in the `dev` group the kit's tests are installed with: these tests must run, never skip)
from pywa import WhatsApp
from pywa import errors as pywa_errors
from pywa.utils import webhook_updates_validator


def _client(live, asset, token=None) -> WhatsApp:
    wa = WhatsApp(phone_id=asset.phone_number_id, token=token or asset.access_token, waba_id=asset.waba_id,
                  session=httpx.Client(timeout=10), api_version="21.0")
    wa.api._session.base_url = f"{live.url}/v21.0"
    return wa


def test_pywa_send_and_phone_number(sim, live, world):
    wa_asset = world.asset("whatsapp")
    sim.emit_inbound_text(world.world_id, wa_asset.asset_id, "4915100000500", "hi")
    wa = _client(live, wa_asset)
    sent = wa.send_message(to="4915100000500", text="Hello from pywa")
    assert sent.id.startswith("wamid.")
    phone = wa.get_business_phone_number()
    assert phone.id == wa_asset.phone_number_id and phone.verified_name == wa_asset.verified_name


def test_pywa_maps_errors(sim, live, world):
    wa = _client(live, world.asset("whatsapp"), token="EAAbroken")
    with pytest.raises(pywa_errors.WhatsAppError) as info:
        wa.send_message(to="4915100000501", text="x")
    assert info.value.code == 190
    good = _client(live, world.asset("whatsapp"))
    with pytest.raises(pywa_errors.WhatsAppError) as info:
        good.send_message(to="4915100000501", text="x" * 4097)
    assert info.value.code == 100


def test_pywa_media_roundtrip(sim, live, world):
    wa_asset = world.asset("whatsapp")
    content = b"\xff\xd8\xff\xe0fake-jpeg" * 50
    registered = sim.register_media(world.world_id, wa_asset.asset_id, content, "image/jpeg")
    wa = _client(live, wa_asset)
    media_url = wa.get_media_url(registered["media_id"])
    assert media_url.mime_type == "image/jpeg" and media_url.file_size == len(content)
    assert wa.get_media_bytes(media_url.url) == content


def test_pywa_validates_our_signature(sim, world, receiver):
    sim.emit_inbound_text(world.world_id, world.asset("whatsapp").asset_id, "4915100000502", "Grüße 🎉")
    (request,) = receiver.for_world(world)
    assert webhook_updates_validator(APP_SECRET, request["raw"], request["headers"]["x-hub-signature-256"])
    assert not webhook_updates_validator("other-secret", request["raw"], request["headers"]["x-hub-signature-256"])


def test_pyfacebook_reads_objects(sim, live, world):
    import pyfacebook
    fb = world.asset("facebook")
    app = sim.get_app()
    api = pyfacebook.GraphAPI(app_id=app["app_id"], app_secret=app["app_secret"], access_token=fb.access_token,
                              base_url=f"{live.url}/", version="v21.0")
    page = api.get_object(object_id=fb.page_id, fields="id,name")
    assert page == {"id": fb.page_id, "name": fb.name}


def test_pywa_templates(sim, graph, live, world):
    wa_asset = world.asset("whatsapp")
    created = graph.post(f"/v21.0/{wa_asset.waba_id}/message_templates", headers={"Authorization": f"Bearer {wa_asset.access_token}"},
                         json={"name": "pywa_check", "language": "en_US", "category": "UTILITY",
                               "components": [{"type": "BODY", "text": "Hello {{1}}", "example": {"body_text": [["A"]]}}]})
    sim.review_template(world.world_id, created.json()["id"], "APPROVED", notify=False)
    wa = _client(live, wa_asset)
    result = wa.get_templates()
    names = [t.name for t in result]
    assert names == ["pywa_check"]
    template = list(result)[0]
    assert template.id == created.json()["id"] and str(template.status).upper().endswith("APPROVED")
    assert wa.delete_template("pywa_check").success


def test_pywa_create_template_and_send(sim, live, world):
    from pywa.types.templates import BodyText, Template, TemplateCategory, TemplateLanguage

    wa = _client(live, world.asset("whatsapp"))
    created = wa.create_template(Template(name="pywa_created", language=TemplateLanguage.ENGLISH_US,
                                          category=TemplateCategory.UTILITY,
                                          components=[BodyText("Hi {{1}}!", "Pablo")]))
    assert str(created.status).upper().endswith("PENDING")
    sim.review_template(world.world_id, created.id, "APPROVED", notify=False)
    sent = wa.send_template(to="4915100000503", name="pywa_created", language=TemplateLanguage.ENGLISH_US,
                            params=[BodyText.params("Pablo")])
    assert sent.id.startswith("wamid.")


def test_pyfacebook_oauth_flow(sim, live, world, monkeypatch):
    """python-facebook-api builds the dialog URL, exchanges the code and the long-lived token, debugs it."""
    import pyfacebook
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the simulator speaks plain HTTP on loopback
    app = sim.get_app()
    api = pyfacebook.GraphAPI(app_id=app["app_id"], app_secret=app["app_secret"], oauth_flow=True,
                              base_url=f"{live.url}/", version="v21.0",
                              authorization_url=f"{live.url}/dialog/oauth",
                              access_token_url=f"{live.url}/v21.0/oauth/access_token",
                              redirect_uri="https://fiwano.example/cb/")
    dialog_url, state = api.get_authorization_url(scope=["pages_messaging"])
    redirect = sim.oauth_authorize(world.world_id, url=dialog_url)["redirect_url"]
    assert f"state={state}" in redirect
    token = api.exchange_user_access_token(response=redirect)["access_token"]
    long_lived = api.exchange_long_lived_user_access_token(access_token=token)
    assert long_lived["expires_in"] == 60 * 86400
    info = api.debug_token(input_token=long_lived["access_token"],
                           access_token=f"{app['app_id']}|{app['app_secret']}")
    assert info["data"]["is_valid"] is True and info["data"]["app_id"] == app["app_id"]
