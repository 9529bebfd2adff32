"""The OAuth connect flow with Meta: setup page -> Meta login dialog -> callback -> one-time completion code.

Meta endpoints used (all on ``meta_graph_url``, the simulator in tests), as Meta documents them:
``/{v}/dialog/oauth`` (browser), ``GET /{v}/oauth/access_token`` (code -> token, then fb_exchange_token for a
long-lived token), ``GET /{v}/me/accounts`` (Pages with their tokens and linked Instagram accounts),
``GET /{v}/debug_token`` (granular scopes -> WABA ids) and ``GET /{v}/{waba_id}/phone_numbers``.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from reference.meta_client import MetaClient

SCOPES = {
    "whatsapp": "whatsapp_business_management,whatsapp_business_messaging,business_management",
    "facebook": "pages_show_list,pages_messaging,pages_manage_metadata",
    "instagram": "instagram_basic,instagram_manage_messages,pages_show_list,pages_manage_metadata",
}


class OAuthError(Exception):
    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


def add_query(uri: str, params: dict[str, str]) -> str:
    """Append parameters to a URI, keeping its own query (e.g. a state the customer put there)."""
    parts = urlsplit(uri)
    extra = urlencode(params)
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def new_code() -> str:
    return secrets.token_urlsafe(32)


class MetaOAuth:
    def __init__(self, meta: MetaClient, *, app_id: str, app_secret: str, public_url: str) -> None:
        self.meta = meta
        self.app_id = app_id
        self.app_secret = app_secret
        self.public_url = public_url.rstrip("/")

    @property
    def callback_url(self) -> str:
        return f"{self.public_url}/setup/callback"

    def dialog_url(self, channel_type: str, state: str) -> str:
        query = urlencode({"client_id": self.app_id, "redirect_uri": self.callback_url, "state": state,
                           "response_type": "code", "scope": SCOPES[channel_type]})
        return f"{self.meta.base_url}/{self.meta.version}/dialog/oauth?{query}"

    async def _get(self, path: str, token: str, params: dict[str, Any]) -> Any:
        result = await self.meta.request("GET", self.meta.path(*path.strip("/").split("/")), token, params=params)
        if not result.ok or not isinstance(result.data, dict):
            raise OAuthError(result.error_message or f"Meta answered HTTP {result.http_status} for {path}")
        return result.data

    async def exchange(self, code: str) -> tuple[str, float | None]:
        params = {"client_id": self.app_id, "client_secret": self.app_secret, "redirect_uri": self.callback_url,
                  "code": code}
        data = await self._get("oauth/access_token", self.app_id, params)
        token = data.get("access_token")
        if not isinstance(token, str) or not token:
            raise OAuthError("Meta returned no access token")
        expires_in = data.get("expires_in")
        try:
            long_lived = await self._get("oauth/access_token", token, {
                "grant_type": "fb_exchange_token", "client_id": self.app_id, "client_secret": self.app_secret,
                "fb_exchange_token": token})
            if isinstance(long_lived.get("access_token"), str):
                token = long_lived["access_token"]
                expires_in = long_lived.get("expires_in", expires_in)
        except OAuthError:
            pass
        return token, float(expires_in) if isinstance(expires_in, (int, float)) else None

    async def extend(self, token: str) -> tuple[str, float | None]:
        """Exchange a token for a fresh long-lived one (the refresh Fiwano does 7 days before expiry)."""
        result = await self.meta.request("GET", self.meta.path("oauth", "access_token"), token, params={
            "grant_type": "fb_exchange_token", "client_id": self.app_id, "client_secret": self.app_secret,
            "fb_exchange_token": token})
        if not result.ok or not isinstance(result.data, dict) or not isinstance(result.data.get("access_token"), str):
            if not result.transient and await self._never_expires(token):
                # Page (and system-user) tokens cannot be exchanged with fb_exchange_token, and need not be:
                # Meta says they never expire. The token stays; only its next check moves forward.
                return token, None
            raise OAuthError(result.error_message or "Meta returned no access token", transient=result.transient)
        expires_in = result.data.get("expires_in")
        return result.data["access_token"], float(expires_in) if isinstance(expires_in, (int, float)) else None

    async def _never_expires(self, token: str) -> bool:
        """debug_token says the token is valid and has no expiry (expires_at 0): a Page/system-user token."""
        result = await self.meta.request("GET", self.meta.path("debug_token"), f"{self.app_id}|{self.app_secret}",
                                         params={"input_token": token})
        data = result.data.get("data") if result.ok and isinstance(result.data, dict) else None
        return isinstance(data, dict) and data.get("is_valid") is True and data.get("expires_at") == 0

    async def discover(self, channel_type: str, user_token: str) -> dict[str, Any]:
        """Find the asset the user granted: {channel_type, asset_id, access_token, waba_id?, page_id?}."""
        if channel_type in ("facebook", "instagram"):
            data = await self._get("me/accounts", user_token, {
                "fields": "id,name,access_token,instagram_business_account{id,username,name}"})
            pages = [p for p in data.get("data") or [] if isinstance(p, dict) and p.get("id")]
            for page in pages:
                token = page.get("access_token") or user_token
                if channel_type == "facebook":
                    return {"channel_type": "facebook", "asset_id": str(page["id"]), "access_token": token}
                ig = page.get("instagram_business_account")
                if isinstance(ig, dict) and ig.get("id"):
                    return {"channel_type": "instagram", "asset_id": str(ig["id"]), "access_token": token,
                            "page_id": str(page["id"])}
            raise OAuthError(f"No {'Page' if channel_type == 'facebook' else 'Instagram account'} was granted")
        debug = await self._get("debug_token", f"{self.app_id}|{self.app_secret}", {"input_token": user_token})
        scopes = (debug.get("data") or {}).get("granular_scopes") or []
        waba_ids: list[str] = []
        for scope in scopes:
            if isinstance(scope, dict) and scope.get("scope") in ("whatsapp_business_management",
                                                                  "whatsapp_business_messaging"):
                waba_ids += [str(t) for t in scope.get("target_ids") or [] if str(t) not in waba_ids]
        for waba_id in waba_ids:
            numbers = await self._get(f"{waba_id}/phone_numbers", user_token,
                                      {"fields": "id,display_phone_number,verified_name"})
            for number in numbers.get("data") or []:
                if isinstance(number, dict) and number.get("id"):
                    return {"channel_type": "whatsapp", "asset_id": str(number["id"]), "access_token": user_token,
                            "waba_id": waba_id}
        raise OAuthError("No WhatsApp phone number was granted")
