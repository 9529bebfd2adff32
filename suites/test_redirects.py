"""Allowed redirect URIs: add, list, delete, HTTPS only, per key, and strict wildcard matching.

Spec: fiwano-api.md "Redirect URIs" (GET/POST/DELETE /api/v1/redirects) and "POST
/api/v1/channels/setup-url" ("Must be in your allowed redirect URIs"). Bypass list: research
reliability-security.md §1.6 and §7 "Redirect URIs" (RFC 9700 §4.1). Matching is observed through
setup-url: a URI a pattern must not match is refused there.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from suites import expect, readings
from suites.support_connect import allow_redirect, setup_url

DOMAIN = "fiwano-kit.example.com"
PATTERN = f"https://*.{DOMAIN}/callback"
GOOD = f"https://app.{DOMAIN}/callback"
HYPOTHESIS = settings(max_examples=25, database=None, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _patterns(client) -> list[str]:
    items = readings.list_items(expect.status(client.request("GET", "/redirects"), 200, "REDIRECT-LIST",
                                              "GET /redirects"), "redirects", "REDIRECT-LIST", "GET /redirects body")
    return [r.get("uri_pattern") for r in items if isinstance(r, dict)]


def _refused(response) -> bool:
    return 400 <= response.status_code < 500 and "setup_url" not in response.text


@pytest.mark.req("REDIRECT-ADD", "REDIRECT-LIST", "API-CREATE-STATUS")
@pytest.mark.level("api")
def test_added_redirect_is_listed_with_an_id(account):
    owner = account()
    first, second = f"https://app.{DOMAIN}/one", f"https://app.{DOMAIN}/two"

    created = owner.client.request("POST", "/redirects", json={"uri_pattern": first})
    allow_redirect(owner.client, second)

    readings.created(created, "API-CREATE-STATUS", "POST /redirects")
    body = expect.json_object(created, "REDIRECT-ADD", "POST /redirects body")
    expect.check(isinstance(body.get("id"), str) and body["id"] and body.get("uri_pattern") == first, "REDIRECT-ADD",
                 "POST /redirects body", f'{{"id": "...", "uri_pattern": {first!r}}}', body)
    listing = owner.client.request("GET", "/redirects")
    items = readings.list_items(listing, "redirects", "REDIRECT-LIST", "list body")
    seen = sorted((r.get("id"), r.get("uri_pattern")) for r in items)
    expect.check(len(items) == 2 and (body["id"], first) in seen and {p for _, p in seen} == {first, second},
                 "REDIRECT-LIST", "GET /redirects", f"both patterns, {first!r} with id {body['id']!r}", listing.text)
    expect.conforms(created, "REDIRECT-ADD")


@pytest.mark.req("REDIRECT-LIST")
@pytest.mark.level("api")
def test_list_shows_only_the_callers_redirects(account):
    mine, theirs = account(), account()
    allow_redirect(mine.client, f"https://mine.{DOMAIN}/cb")
    allow_redirect(theirs.client, f"https://theirs.{DOMAIN}/cb")

    expect.check(_patterns(mine.client) == [f"https://mine.{DOMAIN}/cb"], "REDIRECT-LIST", "first account's list",
                 "only its own pattern", _patterns(mine.client))
    expect.check(_patterns(theirs.client) == [f"https://theirs.{DOMAIN}/cb"], "REDIRECT-LIST",
                 "second account's list", "only its own pattern", _patterns(theirs.client))


@pytest.mark.req("REDIRECT-URI-REQUIRED", "ERR-VALIDATION-STATUS")
@pytest.mark.level("api")
@pytest.mark.parametrize("body", [{}, {"uri_pattern": None}, {"uri_pattern": 123}, {"uri_pattern": [GOOD]},
                                  {"uri_pattern": {"url": GOOD}}, {"uri_pattern": ""}, {"uri": GOOD}],
                         ids=["missing", "null", "int", "list", "object", "empty", "other-name"])
def test_uri_pattern_is_required(account, body):
    owner = account()

    response = owner.client.request("POST", "/redirects", json=body)

    readings.validation_refused(response, "REDIRECT-URI-REQUIRED", f"POST /redirects {body}")
    expect.error_detail(response, "REDIRECT-URI-REQUIRED", "validation error body", string=False)
    expect.check(_patterns(owner.client) == [], "REDIRECT-URI-REQUIRED", "redirects after the refusal", "none",
                 _patterns(owner.client))


@pytest.mark.req("REDIRECT-HTTPS-ONLY")
@pytest.mark.level("api")
@pytest.mark.parametrize("pattern", [
    f"http://app.{DOMAIN}/callback", "javascript:alert(document.domain)//", "data:text/html,<script>1</script>",
    f"ftp://app.{DOMAIN}/callback", "myapp://callback", f"//app.{DOMAIN}/callback", "/callback",
    f"app.{DOMAIN}/callback", "https://", "https:///callback", f"wss://app.{DOMAIN}/callback",
    "file:///etc/passwd", f"http://*.{DOMAIN}/callback",
], ids=["http", "javascript", "data", "ftp", "custom", "scheme-relative", "relative", "no-scheme", "no-host",
        "empty-host", "wss", "file", "http-wildcard"])
def test_non_https_pattern_is_refused(account, pattern):
    owner = account()

    response = owner.client.request("POST", "/redirects", json={"uri_pattern": pattern})

    expect.check(400 <= response.status_code < 500, "REDIRECT-HTTPS-ONLY", f"POST /redirects {pattern!r}",
                 "a 4xx refusal", expect.describe(response))
    expect.check(_patterns(owner.client) == [], "REDIRECT-HTTPS-ONLY", "redirects after the refusal", "none",
                 _patterns(owner.client))


@pytest.mark.req("REDIRECT-WILDCARD", "CONNECT-SETUP-URL")
@pytest.mark.level("api")
@pytest.mark.parametrize("uri", [GOOD, f"https://my-app2.{DOMAIN}/callback", f"https://a.b.{DOMAIN}/callback"],
                         ids=["app", "hyphen-digit", "two-labels"])
def test_wildcard_allows_a_subdomain(account, uri):
    owner = account()
    allow_redirect(owner.client, PATTERN)

    response = setup_url(owner.client, "whatsapp", uri)

    readings.setup_started(response, "REDIRECT-WILDCARD", f"setup-url with {uri} under the pattern {PATTERN}")
    expect.check("setup_url" in response.json(), "REDIRECT-WILDCARD", "setup-url body", "a setup_url", response.json())


@pytest.mark.req("REDIRECT-WILDCARD", "CONNECT-SETUP-URL")
@pytest.mark.level("api")
def test_the_docs_wildcard_over_a_registrable_domain_is_accepted(account):
    """The docs' own example, a wildcard right above a registrable domain (two labels), is a valid pattern."""
    owner = account()
    pattern, uri = "https://*.example.com/callback", "https://app.example.com/callback"
    readings.created(owner.client.request("POST", "/redirects", json={"uri_pattern": pattern}), "REDIRECT-WILDCARD",
                     f"POST /redirects {pattern} (the docs' example)")

    response = setup_url(owner.client, "whatsapp", uri)

    readings.setup_started(response, "REDIRECT-WILDCARD", f"setup-url with {uri} under the pattern {pattern}")


@pytest.mark.req("REDIRECT-ADD", "CONNECT-SETUP-URL")
@pytest.mark.level("api")
def test_uri_with_unreserved_path_characters_is_an_ordinary_redirect(account):
    """RFC 3986's unreserved characters in a path (~ . _ -) make an ordinary redirect URI: allowed, and its exact
    URI starts a setup (a ``~user`` path is common on shared hosts)."""
    owner = account()
    uri = f"https://app.{DOMAIN}/~team/call_back-v2.0"
    allow_redirect(owner.client, uri)

    response = setup_url(owner.client, "whatsapp", uri)

    readings.setup_started(response, "CONNECT-SETUP-URL", f"setup-url with the allowed redirect URI {uri}")


@pytest.mark.req("REDIRECT-WILDCARD")
@pytest.mark.level("api")
def test_wildcard_allows_generated_subdomains(account):
    owner = account()
    allow_redirect(owner.client, PATTERN)
    label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)

    @HYPOTHESIS
    @given(label)
    def probe(sub: str) -> None:
        response = setup_url(owner.client, "facebook", f"https://{sub}.{DOMAIN}/callback")
        readings.setup_started(response, "REDIRECT-WILDCARD", f"setup-url with https://{sub}.{DOMAIN}/callback")

    probe()


BYPASSES = {
    "path-slash": f"https://evil.test/.{DOMAIN}/callback",
    "path-x": f"https://evil.test/x.{DOMAIN}/callback",
    "query": f"https://evil.test?.{DOMAIN}/callback",
    "fragment-host": f"https://evil.test#.{DOMAIN}/callback",
    "backslash": f"https://evil.test\\.{DOMAIN}/callback",
    "encoded-slash": f"https://evil.test%2F.{DOMAIN}/callback",
    "empty-label": f"https://.{DOMAIN}/callback",
    "apex": f"https://{DOMAIN}/callback",
    "suffix-host": f"https://app.{DOMAIN}.evil.test/callback",
    "no-dot-boundary": f"https://evil{DOMAIN}/callback",
    "userinfo": f"https://app.{DOMAIN}@evil.test/callback",
    "backslash-userinfo": f"https://app.{DOMAIN}\\@evil.test/callback",
    "http": f"http://app.{DOMAIN}/callback",
    "port": f"https://app.{DOMAIN}:8443/callback",
    "path-suffix": f"https://app.{DOMAIN}/callbackX",
    "path-child": f"https://app.{DOMAIN}/callback/x",
    "dot-dot": f"https://app.{DOMAIN}/callback/../evil",
    "path-case": f"https://app.{DOMAIN}/Callback",
    "fragment": f"https://app.{DOMAIN}/callback#x",
    "homograph": f"https://app.{DOMAIN.replace('example', 'exаmple')}/callback",
    "other-domain": "https://app.evil.test/callback",
}


@pytest.mark.req("REDIRECT-WILDCARD-STRICT")
@pytest.mark.level("api")
@pytest.mark.parametrize("uri", list(BYPASSES.values()), ids=list(BYPASSES))
def test_wildcard_does_not_match_other_hosts_or_paths(account, uri):
    owner = account()
    allow_redirect(owner.client, PATTERN)

    response = setup_url(owner.client, "instagram", uri)

    expect.check(_refused(response), "REDIRECT-WILDCARD-STRICT", f"setup-url with {uri!r} under {PATTERN}",
                 "a 4xx refusal without setup_url", expect.describe(response))


@pytest.mark.req("REDIRECT-WILDCARD-STRICT")
@pytest.mark.level("api")
def test_wildcard_does_not_match_generated_path_variants(account):
    owner = account()
    allow_redirect(owner.client, PATTERN)
    suffix = st.text(alphabet="/.%?#@\\:x-;", min_size=1, max_size=6)

    @HYPOTHESIS
    @given(suffix)
    def probe(tail: str) -> None:
        uri = GOOD + tail
        response = setup_url(owner.client, "whatsapp", uri)
        expect.check(_refused(response), "REDIRECT-WILDCARD-STRICT", f"setup-url with {uri!r} under {PATTERN}",
                     "a 4xx refusal without setup_url", expect.describe(response))

    probe()


@pytest.mark.req("REDIRECT-WILDCARD-STRICT")
@pytest.mark.level("api")
@pytest.mark.parametrize("pattern", ["https://*", "https://*/*", "https://*.com/callback", "https://*.co.uk/callback",
                                     "https://*.github.io/callback",
                                     f"https://*.{DOMAIN}/*", f"https://app.*.{DOMAIN}/callback",
                                     f"https://user@*.{DOMAIN}/callback", f"https://*.{DOMAIN}/callback#frag"],
                         ids=["any-host", "any-any", "tld", "public-suffix", "private-public-suffix", "any-path",
                              "inner-wildcard", "userinfo", "fragment"])
def test_overbroad_or_ambiguous_patterns_are_refused(account, pattern):
    owner = account()

    response = owner.client.request("POST", "/redirects", json={"uri_pattern": pattern})

    expect.check(400 <= response.status_code < 500, "REDIRECT-WILDCARD-STRICT", f"POST /redirects {pattern!r}",
                 "a 4xx refusal (RFC 9700 §4.1: no open patterns)", expect.describe(response))


@pytest.mark.req("REDIRECT-DELETE", "API-DELETE-STATUS")
@pytest.mark.level("api")
def test_deleted_redirect_is_gone_and_refused(account):
    owner = account()
    kept, dropped = f"https://app.{DOMAIN}/kept", f"https://app.{DOMAIN}/dropped"
    allow_redirect(owner.client, kept)
    created = allow_redirect(owner.client, dropped)
    readings.setup_started(setup_url(owner.client, "whatsapp", dropped), "REDIRECT-DELETE", "setup-url before DELETE")

    deleted = owner.client.request("DELETE", f"/redirects/{created['id']}")

    readings.deleted(deleted, "API-DELETE-STATUS", "DELETE /redirects/{id}")
    expect.check(_patterns(owner.client) == [kept], "REDIRECT-DELETE", "GET /redirects after DELETE",
                 [kept], _patterns(owner.client))
    expect.check(_refused(setup_url(owner.client, "whatsapp", dropped)), "REDIRECT-DELETE",
                 "setup-url with the deleted URI", "a 4xx refusal", "accepted")
    readings.setup_started(setup_url(owner.client, "whatsapp", kept), "REDIRECT-DELETE", "setup-url with the kept URI")


@pytest.mark.req("REDIRECT-DELETE-404")
@pytest.mark.level("api")
def test_delete_of_unknown_or_foreign_redirect_is_404(account, rng):
    owner, other = account(), account()
    uri = f"https://app.{DOMAIN}/owned"
    created = allow_redirect(owner.client, uri)
    unknown = "redir_" + "".join(rng.choice("0123456789abcdef") for _ in range(12))

    for client, rid, what in ((owner.client, unknown, "an unknown id"), (other.client, created["id"],
                                                                        "another account's id")):
        response = client.request("DELETE", f"/redirects/{rid}")
        expect.status(response, 404, "REDIRECT-DELETE-404", f"DELETE /redirects with {what}")
        expect.error_detail(response, "REDIRECT-DELETE-404", "404 body")

    expect.check(_patterns(owner.client) == [uri], "REDIRECT-DELETE-404", "owner's redirects after the foreign "
                 "DELETE", [uri], _patterns(owner.client))
    readings.setup_started(setup_url(owner.client, "whatsapp", uri), "REDIRECT-DELETE-404",
                  "setup-url with the owner's URI after the foreign DELETE")


@pytest.mark.req("REDIRECT-DELETE-404", "CONNECT-SETUP-REDIRECT-PER-KEY", "REDIRECT-LIST")
@pytest.mark.level("controlled", reason="needs the harness to mint a second key of one account")
def test_redirects_belong_to_one_api_key(account):
    owner = account()
    second_key, _ = owner.new_key()
    other_key = owner.client.with_key(second_key)
    uri = f"https://app.{DOMAIN}/per-key"
    created = allow_redirect(owner.client, uri)

    try:
        listed = _patterns(other_key)
        refused = setup_url(other_key, "whatsapp", uri)
        deleted = other_key.request("DELETE", f"/redirects/{created['id']}")
    finally:
        other_key.close()

    expect.check(uri not in listed, "REDIRECT-LIST", "GET /redirects with another key of the same account",
                 "not the first key's URI", listed)
    expect.check(_refused(refused), "CONNECT-SETUP-REDIRECT-PER-KEY",
                 "setup-url with another key of the same account", "a 4xx refusal", expect.describe(refused))
    expect.status(deleted, 404, "REDIRECT-DELETE-404", "DELETE of the first key's redirect with the second key")
    expect.check(_patterns(owner.client) == [uri], "REDIRECT-DELETE-404", "first key's redirects afterwards", [uri],
                 _patterns(owner.client))
