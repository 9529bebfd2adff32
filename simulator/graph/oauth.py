"""OAuth and token introspection: code exchange, long-lived exchange, app tokens, ``debug_token``.

Codes are minted by the control API (``POST /_sim/worlds/{id}/oauth/authorize``, standing in for the user
clicking through Meta's dialog) and bound to a world and the exact redirect_uri; they are single-use and
expire after 10 minutes of virtual time. Errors follow meta-facts.md §5.3 (code 100 with subcodes
36007 expired / 36008 redirect_uri mismatch / 36009 used or unknown — the mapping is UNCONFIRMED).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import unquote_plus

from simulator.errors import GraphError
from simulator.graph.context import GraphCall, GraphResult

LONG_LIVED = 60 * 86400
CODE_TOKEN_LIFETIME = 60 * 86400  # UNCONFIRMED: integrators observe ~60 days for code-exchanged tokens


def _app_token(call: GraphCall) -> str:
    app = call.store.app
    return f"{app['app_id']}|{hashlib.sha256(app['app_secret'].encode()).hexdigest()[:27]}"


def _client_credentials(call: GraphCall) -> tuple[object, object]:
    """client_id/client_secret from the parameters, or from HTTP Basic auth (RFC 6749 client_secret_basic,
    which OAuth libraries such as requests-oauthlib use by default)."""
    p = call.params
    scheme, _, value = call.request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            raw = base64.b64decode(value.strip())
        except ValueError:
            raise GraphError(101, "Error validating application. Invalid application ID.") from None
        try:
            decoded = raw.decode("utf-8")
        except UnicodeDecodeError:
            decoded = raw.decode("latin-1")  # what requests sends for non-ASCII secrets
        user, _, password = decoded.partition(":")
        return unquote_plus(user), unquote_plus(password)
    return p.get("client_id"), p.get("client_secret")


def _check_client(call: GraphCall) -> None:
    app = call.store.app
    client_id, client_secret = _client_credentials(call)
    if client_id != app["app_id"]:
        raise GraphError(101, "Error validating application. Invalid application ID.")
    if client_secret != app["app_secret"]:
        raise GraphError(1, "Error validating client secret.", status=400)


def _is_app_token(call: GraphCall, token: str | None) -> bool:
    app = call.store.app
    return token in (_app_token(call), f"{app['app_id']}|{app['app_secret']}")


def dispatch(call: GraphCall) -> GraphResult:
    segs = call.request.segments
    if segs == ["oauth", "access_token"]:
        return _access_token(call)
    if segs == ["debug_token"]:
        return _debug_token(call)
    if len(segs) == 2 and segs[1] == "subscriptions":
        if not _is_app_token(call, call.request.token):
            raise GraphError(190, "Invalid OAuth access token - Cannot parse access token")
        return GraphResult({"success": True} if call.request.method in ("POST", "DELETE") else {"data": []})
    raise GraphError(100, f"(#100) Unknown path components: /{'/'.join(segs[1:])}")


def _access_token(call: GraphCall) -> GraphResult:
    p = call.params
    store = call.store
    _check_client(call)
    grant = p.get("grant_type")
    if grant == "client_credentials":
        return GraphResult({"access_token": _app_token(call), "token_type": "bearer"})
    if grant == "fb_exchange_token":
        old = p.get("fb_exchange_token")
        resolved = store.resolve_token(old) if isinstance(old, str) else None
        if resolved is None or resolved[1] is not None or store.token_expired(str(old), resolved[0]):
            raise GraphError(190, "Error validating access token: The session is invalid.", subcode=467)
        token = store.mint_user_token(resolved[0], LONG_LIVED)
        return GraphResult({"access_token": token, "token_type": "bearer", "expires_in": LONG_LIVED})
    if grant not in (None, "authorization_code"):
        raise GraphError(100, f"(#100) Unsupported grant_type {grant!r}")
    code = p.get("code")
    if not isinstance(code, str) or not code:
        raise GraphError(100, "(#100) Missing code parameter.")
    with store.lock:
        entry = store.oauth_codes.get(code)
        if entry is None or entry["used"]:
            raise GraphError(100, "This authorization code has been used.", subcode=36009)
        world = store.get_world(entry["world_id"])
        if world is None:
            raise GraphError(100, "Invalid verification code format.", subcode=36009)
        if world.clock.now() >= entry["expires_at"]:
            raise GraphError(100, "This authorization code has expired.", subcode=36007)
        if entry["redirect_uri"] is not None and p.get("redirect_uri") != entry["redirect_uri"]:
            raise GraphError(100, "Error validating verification code. Please make sure your redirect_uri is "
                                  "identical to the one you used in the OAuth dialog request", subcode=36008)
        entry["used"] = True
    token = store.mint_user_token(world, CODE_TOKEN_LIFETIME)
    return GraphResult({"access_token": token, "token_type": "bearer", "expires_in": CODE_TOKEN_LIFETIME})


def _debug_token(call: GraphCall) -> GraphResult:
    store = call.store
    if not (_is_app_token(call, call.request.token) or call.token_world is not None):
        raise GraphError(190, "Invalid OAuth access token - Cannot parse access token")
    input_token = call.params.get("input_token")
    if not isinstance(input_token, str) or not input_token:
        raise GraphError(100, "(#100) The parameter input_token is required")
    app = store.app
    resolved = store.resolve_token(input_token)
    if resolved is None:
        return GraphResult({"data": {"is_valid": False, "error": {"code": 190, "message": "Invalid OAuth access "
                                                                  "token - Cannot parse access token"},
                                     "scopes": []}})
    world, asset = resolved
    meta = store.token_meta.get(input_token, {"issued_at": world.clock.now(), "expires_at": 0})
    expired = store.token_expired(input_token, world)
    wabas = sorted({a.waba_id for a in world.assets if a.waba_id})
    pages = sorted({a.page_id for a in world.assets if a.page_id})
    igs = sorted({a.ig_account_id for a in world.assets if a.ig_account_id})
    if asset is not None:
        wabas = [asset.waba_id] if asset.waba_id else []
        pages = [asset.page_id] if asset.page_id else []
        igs = [asset.ig_account_id] if asset.ig_account_id else []
    granular = [{"scope": s, "target_ids": t} for s, t in (
        ("whatsapp_business_management", wabas), ("whatsapp_business_messaging", wabas),
        ("pages_messaging", pages), ("pages_show_list", pages), ("instagram_manage_messages", igs),
        ("instagram_basic", igs)) if t]
    data: dict[str, Any] = {
        "app_id": app["app_id"], "type": "PAGE" if asset is not None and asset.channel != "whatsapp" else
        ("SYSTEM_USER" if asset is not None else "USER"),
        "application": "Fiwano Simulator App", "data_access_expires_at": int(world.clock.now()) + 90 * 86400,
        "expires_at": int(meta["expires_at"]), "is_valid": not expired, "issued_at": int(meta["issued_at"]),
        "scopes": [g["scope"] for g in granular] + ["business_management", "pages_manage_metadata"],
        "granular_scopes": granular, "user_id": world.user_id,
    }
    if asset is not None and asset.page_id:
        data["profile_id"] = asset.page_id
    if expired:
        data["error"] = {"code": 190, "message": "Error validating access token: Session has expired.",
                         "subcode": 463}
    return GraphResult({"data": data})
