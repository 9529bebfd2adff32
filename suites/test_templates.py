"""WhatsApp templates: list (sync, status filter), get, create (name, category, components rules),
update (replace, category, edit limits), delete (one or all languages, the 30-day name lock), Meta errors.

Spec: fiwano-api.md "WhatsApp Templates". Templates live at Meta (the simulator's WABA): north is the
target's answer, south the simulator's journal and template store. Names of the rule set of
reliability-security.md §2.4 and §7 "Template names". Tier gating (402 on Starter) is tested with the
gating table elsewhere.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from suites import expect, readings
from suites import support_templates as tpl
from suites.support_templates import LANGUAGE, body_component, template_request, unique_name


@pytest.fixture
def wa(account, channel):
    """A WhatsApp channel of a fresh Pro account on an auto-renewing paid plan (clock moves of weeks keep it Pro)."""
    return channel(account(tier="pro", subscription_status="active", source="paddle"), "whatsapp")


def full_components(fmt: str = "positional") -> list[dict]:
    if fmt == "named":
        body = {"type": "BODY", "text": "Hi {{customer_name}}, order {{order_number}} is ready.",
                "example": {"body_text_named_params": [{"param_name": "customer_name", "example": "Pablo"},
                                                       {"param_name": "order_number", "example": "ORD-123"}]}}
    else:
        body = body_component()
    return [{"type": "HEADER", "format": "TEXT", "text": "Sale {{1}}", "example": {"header_text": ["Summer"]}},
            body,
            {"type": "FOOTER", "text": "Reply STOP to opt out"},
            {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Open", "url": "https://example.com/{{1}}",
                                             "example": ["https://example.com/promo25"]}]}]


def _examples(component: dict):
    """The example values of a component (a BUTTONS component carries them on each button)."""
    if tpl.same_type(component) == "BUTTONS":
        return [b.get("example") for b in component.get("buttons") or [] if isinstance(b, dict)]
    return component.get("example")


def assert_no_meta_write(simulator, ch, since: int, req, what: str) -> None:
    writes = [e for e in tpl.calls(simulator, ch.world.world_id, since) if e.method in ("POST", "DELETE")]
    expect.check(not writes, req, f"calls to Meta after {what}", "none (refused before Meta)",
                 tpl.describe_calls(writes))


# ------------------------------------------------------------------------------------------- WhatsApp only


@pytest.mark.req("TPL-WA-ONLY")
@pytest.mark.level("simulated")
def test_template_endpoints_refuse_other_channels(account, channel, channel_type, simulator, rng):
    ch = channel(account(), channel_type)
    since = tpl.last_seq(simulator, ch.world.world_id)
    bogus = "tpl_" + unique_name(rng, "x")
    attempts = {
        "list": tpl.listing(ch.client, ch.id),
        "create": tpl.create(ch.client, ch.id, template_request(unique_name(rng))),
        "get": tpl.get(ch.client, ch.id, bogus),
        "update": tpl.update(ch.client, ch.id, bogus, {"components": [body_component()]}),
        "delete": tpl.delete(ch.client, ch.id, bogus),
    }

    for operation, response in attempts.items():
        allowed = (400,) if operation in ("list", "create") else (400, 404)
        expect.status(response, allowed, "TPL-WA-ONLY", f"template {operation} on a {channel_type} channel")
        expect.error_detail(response, "TPL-WA-ONLY", f"{operation} error body", string=False)
    south = tpl.calls(simulator, ch.world.world_id, since)
    expect.check(not south, "TPL-WA-ONLY", "calls to Meta", "none", tpl.describe_calls(south))


@pytest.mark.req("CHANNEL-404-UNKNOWN", "ISOLATION-CHANNEL-404", "ISOLATION-NO-SIDE-EFFECT")
@pytest.mark.level("simulated")
def test_template_calls_on_unknown_or_foreign_channels_are_404(account, channel, simulator, rng):
    mine, theirs = account(), channel(account(), "whatsapp")
    made = tpl.new_template(theirs.client, theirs, simulator, unique_name(rng))
    since = tpl.last_seq(simulator, theirs.world.world_id)
    unknown = "".join(rng.choice("0123456789abcdef") for _ in range(16))

    for label, channel_id in (("unknown", unknown), ("another account's", theirs.id)):
        calls = {
            "list": lambda channel_id=channel_id: tpl.listing(mine.client, channel_id),
            "create": lambda channel_id=channel_id: tpl.create(mine.client, channel_id, template_request(unique_name(rng))),
            "get": lambda channel_id=channel_id: tpl.get(mine.client, channel_id, str(made["id"])),
            "update": lambda channel_id=channel_id: tpl.update(mine.client, channel_id, str(made["id"]), {"components": [body_component()]}),
            "delete": lambda channel_id=channel_id: tpl.delete(mine.client, channel_id, str(made["id"])),
            "send-template": lambda channel_id=channel_id: tpl.send_template(mine.client, {
                "channel_id": channel_id, "template_name": made["name"], "language": LANGUAGE,
                "recipient": "15550001111"}),
        }
        for operation, call in calls.items():
            response = call()
            expect.status(response, 404, ("CHANNEL-404-UNKNOWN", "ISOLATION-CHANNEL-404"),
                          f"template {operation} on an {label} channel")
            expect.error_detail(response, "CHANNEL-404-UNKNOWN", "404 body", string=False)
    south = [e for e in tpl.calls(simulator, theirs.world.world_id, since) if e.method in ("POST", "DELETE")]
    expect.check(not south, "ISOLATION-NO-SIDE-EFFECT", "writes to Meta for the other account's channel", "none",
                 tpl.describe_calls(south))
    expect.check(tpl.status_of(tpl.meta_template(simulator, theirs.world.world_id, made["name"])) == "APPROVED",
                 "ISOLATION-NO-SIDE-EFFECT", "the other account's template at Meta", "unchanged (APPROVED)",
                 tpl.meta_template(simulator, theirs.world.world_id, made["name"]))


# ------------------------------------------------------------------------------------------- create


@pytest.mark.req("TPL-CREATE-PENDING", "TPL-CREATE-EXAMPLE-FORWARDED", "TPL-COMPONENT-TYPES", "TPL-HEADER-TEXT-ONLY",
                 "TPL-GET", "TPL-PARAMETER-FORMAT")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("fmt", ["positional", "named"])
def test_create_submits_to_meta_and_starts_pending(wa, simulator, rng, fmt):
    name = unique_name(rng)
    components = full_components(fmt)
    since = tpl.last_seq(simulator, wa.world.world_id)

    response = tpl.create(wa.client, wa.id, template_request(name, components=components, parameter_format=fmt))

    made = tpl.created(expect.conforms(response, "TPL-CREATE-PENDING"), "TPL-CREATE-PENDING",
                       "create a template with HEADER (text), BODY, FOOTER and BUTTONS")
    expect.check(tpl.status_of(made) == "PENDING", "TPL-CREATE-PENDING", "status of the new template", "PENDING",
                 made.get("status"))
    posts = tpl.calls(simulator, wa.world.world_id, since, method="POST", path_contains="message_templates")
    expect.check(len(posts) == 1, "TPL-CREATE-PENDING", "creation requests to Meta", "exactly one",
                 tpl.describe_calls(posts))
    sent = posts[0].json or {}
    expect.check((sent.get("name"), sent.get("language"), sent.get("category")) == (name, LANGUAGE, "UTILITY"),
                 "TPL-CREATE-PENDING", "name, language, category sent to Meta", (name, LANGUAGE, "UTILITY"),
                 {k: sent.get(k) for k in ("name", "language", "category")})
    examples = {tpl.same_type(c): _examples(c) for c in sent.get("components") or [] if isinstance(c, dict)}
    wanted = {tpl.same_type(c): _examples(c) for c in components}
    expect.check(examples == wanted, "TPL-CREATE-EXAMPLE-FORWARDED", "example values of each component at Meta",
                 wanted, examples)
    at_meta = tpl.meta_template(simulator, wa.world.world_id, name)
    expect.check(at_meta is not None and at_meta["status"] == "PENDING", "TPL-CREATE-PENDING",
                 "the template in Meta's store", "PENDING", at_meta)
    expect.check(str(at_meta.get("parameter_format", "")).lower() == fmt, "TPL-PARAMETER-FORMAT",
                 "parameter_format at Meta", fmt, at_meta.get("parameter_format"))

    got = expect.json_object(expect.status(tpl.get(wa.client, wa.id, str(made["id"])), 200, "TPL-GET",
                                           "GET the new template"), "TPL-GET", "template body")
    seen = {k: got.get(k) for k in ("id", "name", "language", "category")}
    expect.check(seen == {"id": made["id"], "name": name, "language": LANGUAGE, "category": "UTILITY"}, "TPL-GET",
                 "template fields", {"id": made["id"], "name": name, "language": LANGUAGE, "category": "UTILITY"}, seen)
    texts = [(tpl.same_type(c), c.get("text"), c.get("example")) for c in got.get("components") or []]
    expect.check(texts == [(tpl.same_type(c), c.get("text"), c.get("example")) for c in components], "TPL-GET",
                 "components with their texts (variable definitions) and examples",
                 [(tpl.same_type(c), c.get("text")) for c in components], got.get("components"))
    expect.check(str(got.get("parameter_format", "")).lower() == fmt, "TPL-PARAMETER-FORMAT",
                 "parameter_format of the template", fmt, got.get("parameter_format"))


@pytest.mark.req("TPL-CREATE-REQUIRED-FIELDS", "TPL-PARAMETER-FORMAT")
@pytest.mark.level("simulated")
def test_create_requires_name_category_language_components(wa, simulator, rng):
    since = tpl.last_seq(simulator, wa.world.world_id)
    for missing in ("name", "category", "language", "components"):
        body = template_request(unique_name(rng))
        del body[missing]
        tpl.refused(tpl.create(wa.client, wa.id, body), "TPL-CREATE-REQUIRED-FIELDS", f"create without {missing}")
    assert_no_meta_write(simulator, wa, since, "TPL-CREATE-REQUIRED-FIELDS", "creations without a required field")
    for value in ("", "english", "en-US", None, 42, ["en_US"]):  # no language code: refused by the target or by Meta
        name = unique_name(rng)
        tpl.refused(tpl.create(wa.client, wa.id, template_request(name, language=value)), "TPL-CREATE-REQUIRED-FIELDS",
                    f"create with language={value!r}")
        expect.check(tpl.meta_template(simulator, wa.world.world_id, name) is None, "TPL-CREATE-REQUIRED-FIELDS",
                     f"Meta's templates after the create with language={value!r}", "none of that name",
                     tpl.meta_template(simulator, wa.world.world_id, name))

    name = unique_name(rng)
    made = tpl.created(tpl.create(wa.client, wa.id, template_request(name, parameter_format=None)),
                       "TPL-CREATE-REQUIRED-FIELDS", "create without parameter_format (optional)")
    got = tpl.get(wa.client, wa.id, str(made["id"])).json()
    at_meta = tpl.meta_template(simulator, wa.world.world_id, name) or {}
    expect.check(str(got.get("parameter_format", "positional")).lower() == "positional"
                 and str(at_meta.get("parameter_format")).lower() == "positional", "TPL-PARAMETER-FORMAT",
                 "parameter_format when omitted (target, Meta)", "positional (the default)",
                 (got.get("parameter_format"), at_meta.get("parameter_format")))


@pytest.mark.level("simulated")
@pytest.mark.parametrize("mutate", [
    pytest.param(lambda b: b.update(name="Order_Confirmation"), marks=pytest.mark.req("TPL-NAME-CHARSET"), id="upper"),
    pytest.param(lambda b: b.update(name="order-confirmation"), marks=pytest.mark.req("TPL-NAME-CHARSET"), id="hyphen"),
    pytest.param(lambda b: b.update(name="order confirmation"), marks=pytest.mark.req("TPL-NAME-CHARSET"), id="space"),
    pytest.param(lambda b: b.update(name="order.confirmation"), marks=pytest.mark.req("TPL-NAME-CHARSET"), id="dot"),
    pytest.param(lambda b: b.update(name=""), marks=pytest.mark.req("TPL-NAME-CHARSET"), id="empty"),
    pytest.param(lambda b: b.update(category="TRANSACTIONAL"), marks=pytest.mark.req("TPL-CATEGORY-VALUES"),
                 id="category-transactional"),
    pytest.param(lambda b: b.update(category=""), marks=pytest.mark.req("TPL-CATEGORY-VALUES"), id="category-empty"),
    pytest.param(lambda b: b.update(category=1), marks=pytest.mark.req("TPL-CATEGORY-VALUES"), id="category-number"),
    pytest.param(lambda b: b.update(parameter_format="numbered"), marks=pytest.mark.req("TPL-PARAMETER-FORMAT"),
                 id="format-numbered"),
    pytest.param(lambda b: b.update(parameter_format=""), marks=pytest.mark.req("TPL-PARAMETER-FORMAT"),
                 id="format-empty"),
    pytest.param(lambda b: b.update(components=[{"type": "HEADER", "format": "TEXT", "text": "Hello"}]),
                 marks=pytest.mark.req("TPL-BODY-REQUIRED"), id="header-only"),
    pytest.param(lambda b: b.update(components=[{"type": "FOOTER", "text": "Bye"}]),
                 marks=pytest.mark.req("TPL-BODY-REQUIRED"), id="footer-only"),
    pytest.param(lambda b: b.update(components=[]), marks=pytest.mark.req("TPL-BODY-REQUIRED"), id="no-components"),
    pytest.param(lambda b: b["components"].insert(0, {"type": "HEADER", "format": "IMAGE",
                                                      "example": {"header_handle": ["4::aW1n"]}}),
                 marks=pytest.mark.req("TPL-HEADER-TEXT-ONLY"), id="header-image"),
    pytest.param(lambda b: b["components"].insert(0, {"type": "HEADER", "format": "VIDEO",
                                                      "example": {"header_handle": ["4::dmlk"]}}),
                 marks=pytest.mark.req("TPL-HEADER-TEXT-ONLY"), id="header-video"),
    pytest.param(lambda b: b["components"].insert(0, {"type": "HEADER", "format": "DOCUMENT",
                                                      "example": {"header_handle": ["4::ZG9j"]}}),
                 marks=pytest.mark.req("TPL-HEADER-TEXT-ONLY"), id="header-document"),
    pytest.param(lambda b: b["components"].insert(0, {"type": "HEADER", "format": "LOCATION"}),
                 marks=pytest.mark.req("TPL-HEADER-TEXT-ONLY"), id="header-location"),
    pytest.param(lambda b: b["components"].append({"type": "CAROUSEL", "cards": []}),
                 marks=pytest.mark.req("TPL-COMPONENT-TYPES"), id="type-carousel"),
    pytest.param(lambda b: b["components"].append({"type": "LIMITED_TIME_OFFER", "limited_time_offer": {}}),
                 marks=pytest.mark.req("TPL-COMPONENT-TYPES"), id="type-lto"),
    pytest.param(lambda b: b["components"].append({"type": "SIGNATURE", "text": "x"}),
                 marks=pytest.mark.req("TPL-COMPONENT-TYPES"), id="type-unknown"),
    pytest.param(lambda b: b["components"].insert(0, 42), marks=pytest.mark.req("TPL-COMPONENT-TYPES"),
                 id="component-number"),
    pytest.param(lambda b: b["components"].insert(0, "FOOTER"), marks=pytest.mark.req("TPL-COMPONENT-TYPES"),
                 id="component-string"),
    pytest.param(lambda b: b["components"].append({"text": "no type"}), marks=pytest.mark.req("TPL-COMPONENT-TYPES"),
                 id="component-without-type"),
    pytest.param(lambda b: b["components"].append({"type": 7, "text": "x"}),
                 marks=pytest.mark.req("TPL-COMPONENT-TYPES"), id="component-type-number"),
    pytest.param(lambda b: b.update(components={"type": "BODY", "text": "not in a list"}),
                 marks=pytest.mark.req("TPL-BODY-REQUIRED"), id="components-object"),
])
def test_invalid_template_is_refused_before_meta(wa, simulator, rng, mutate, request):
    body = template_request(unique_name(rng))
    mutate(body)
    req = tuple(m.args[0] for m in request.node.iter_markers("req"))[0]
    since = tpl.last_seq(simulator, wa.world.world_id)

    response = tpl.create(wa.client, wa.id, body)

    tpl.refused(response, req, f"create {request.node.callspec.id}: {body!r}"[:300])
    assert_no_meta_write(simulator, wa, since, req, "the refused creation")


@pytest.mark.req("TPL-NAME-CHARSET", "TPL-CATEGORY-VALUES")
@pytest.mark.level("simulated")
def test_valid_names_and_categories_are_accepted(wa, simulator, rng):
    suffix = unique_name(rng, "")
    cases = [("a" + suffix, "UTILITY"), ("_" + suffix, "MARKETING"), ("0" + suffix, "AUTHENTICATION"),
             ("order_confirmation_2" + suffix, "UTILITY")]
    for name, category in cases:
        made = tpl.created(tpl.create(wa.client, wa.id, template_request(name, category=category)),
                           ("TPL-NAME-CHARSET", "TPL-CATEGORY-VALUES"), f"create {name!r} as {category}")
        at_meta = tpl.meta_template(simulator, wa.world.world_id, name)
        expect.check(at_meta is not None and at_meta["category"] == category and made.get("name") == name,
                     ("TPL-NAME-CHARSET", "TPL-CATEGORY-VALUES"), f"{name!r} ({category}) at Meta",
                     "created with that name and category", at_meta)


@pytest.mark.req("TPL-NAME-MAX")
@pytest.mark.level("simulated")
def test_name_length_limit(wa, simulator, fiwano_profile, rng):
    limit = fiwano_profile["template_name_max_chars"]
    longest = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789_") for _ in range(limit))
    since = tpl.last_seq(simulator, wa.world.world_id)

    tpl.refused(tpl.create(wa.client, wa.id, template_request(longest + "a")), "TPL-NAME-MAX",
                f"create a {limit + 1}-character name")
    assert_no_meta_write(simulator, wa, since, "TPL-NAME-MAX", f"the {limit + 1}-character name")
    tpl.created(tpl.create(wa.client, wa.id, template_request(longest)), "TPL-NAME-MAX",
                f"create a {limit}-character name")
    expect.check(tpl.meta_template(simulator, wa.world.world_id, longest) is not None, "TPL-NAME-MAX",
                 f"the {limit}-character name at Meta", "created", "absent")
    shortest = rng.choice("abcdefghijklmnopqrstuvwxyz")  # the lower bound: one character is a valid name
    tpl.created(tpl.create(wa.client, wa.id, template_request(shortest)), "TPL-NAME-MAX",
                "create a 1-character name")


LOOKALIKES = ["order_confirmation\n", "\norder", "order\u0000", "\u212aelvin", "\u017fale", "d\u0131scount",
              "\u0130tem", "\uff4f\uff52\uff44\uff45\uff52", "\u0661\u0662\u0663", "caf\u00e9", "order\u200bx",
              "order\t", "ｏrder"]


@pytest.mark.req("TPL-NAME-LOOKALIKES")
@pytest.mark.level("simulated")
def test_lookalike_names_are_refused(wa, simulator, rng):
    since = tpl.last_seq(simulator, wa.world.world_id)
    for name in LOOKALIKES:
        tpl.refused(tpl.create(wa.client, wa.id, template_request(name)), "TPL-NAME-LOOKALIKES", f"create {name!r}")
    assert_no_meta_write(simulator, wa, since, "TPL-NAME-LOOKALIKES", "look-alike names")


_FOREIGN = st.characters(codec="utf-8", exclude_categories=("Cs",),
                         exclude_characters="abcdefghijklmnopqrstuvwxyz0123456789_")
_NAMES = st.tuples(st.text("abcdefghijklmnopqrstuvwxyz0123456789_", max_size=8), _FOREIGN,
                   st.text("abcdefghijklmnopqrstuvwxyz0123456789_", max_size=8)).map("".join)


@pytest.mark.req("TPL-NAME-LOOKALIKES", "TPL-NAME-CHARSET")
@pytest.mark.level("simulated")
@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(name=_NAMES)
def test_any_character_outside_the_charset_is_refused(wa, simulator, name):
    since = tpl.last_seq(simulator, wa.world.world_id)

    tpl.refused(tpl.create(wa.client, wa.id, template_request(name)), ("TPL-NAME-LOOKALIKES", "TPL-NAME-CHARSET"),
                f"create {name!r}")
    assert_no_meta_write(simulator, wa, since, "TPL-NAME-LOOKALIKES", f"the name {name!r}")


# ------------------------------------------------------------------------------------------- list and get


@pytest.mark.req("TPL-LIST-SYNC-DEFAULT", "TPL-LIST-SYNC-FALSE", "TPL-LIFECYCLE")
@pytest.mark.level("simulated")
def test_list_syncs_with_meta_unless_sync_false(wa, simulator, rng):
    name = unique_name(rng)
    tpl.created(tpl.create(wa.client, wa.id, template_request(name)), "TPL-CREATE-PENDING", "create a template")
    tpl.review(simulator, wa, name, "APPROVED", notify=False)  # the target is not told: only a sync can know

    since = tpl.last_seq(simulator, wa.world.world_id)
    stale = tpl.keyed(tpl.listed(wa.client, wa.id, "TPL-LIST-SYNC-FALSE", sync="false")).get((name, LANGUAGE))
    south = tpl.calls(simulator, wa.world.world_id, since)
    expect.check(not south, "TPL-LIST-SYNC-FALSE", "calls to Meta for ?sync=false", "none", tpl.describe_calls(south))
    expect.check(tpl.status_of(stale) == "PENDING", "TPL-LIST-SYNC-FALSE", "status in the stored list",
                 "PENDING (stored data, Meta not asked)", stale)

    since = tpl.last_seq(simulator, wa.world.world_id)
    fresh = tpl.keyed(tpl.listed(wa.client, wa.id, "TPL-LIST-SYNC-DEFAULT")).get((name, LANGUAGE))
    fetches = tpl.calls(simulator, wa.world.world_id, since, method="GET", path_contains="message_templates")
    expect.check(fetches, "TPL-LIST-SYNC-DEFAULT", "calls to Meta for a list without sync",
                 "a GET of message_templates",
                 tpl.describe_calls(tpl.calls(simulator, wa.world.world_id, since)))
    expect.check(tpl.status_of(fresh) == "APPROVED", ("TPL-LIST-SYNC-DEFAULT", "TPL-LIFECYCLE"),
                 "status after Meta approved it and the list synced", "APPROVED", fresh)

    tpl.review(simulator, wa, name, "REJECTED", notify=False)
    again = tpl.keyed(tpl.listed(wa.client, wa.id, "TPL-LIFECYCLE", sync="true")).get((name, LANGUAGE))
    expect.check(tpl.status_of(again) == "REJECTED", "TPL-LIFECYCLE", "status after Meta rejected it (sync=true)",
                 "REJECTED", again)


@pytest.mark.req("TPL-LIST-SYNC-DEFAULT", "TPL-LIFECYCLE")
@pytest.mark.level("simulated")
def test_synced_list_is_exactly_metas_templates_across_pages(wa, simulator, rng):
    """Meta answers two templates a page, whatever the limit asked (as it may): the synced list is every live
    template of the WABA with Meta's status (also those made in WhatsApp Manager, beyond the first page), and
    after templates are deleted at Meta (one the target created, one made at Meta) it no longer has them."""
    world_id, asset_id = wa.world.world_id, wa.asset.asset_id
    simulator.set_options(world_id, graph_page_size_max=2)
    mine = unique_name(rng)
    tpl.created(tpl.create(wa.client, wa.id, template_request(mine)), "TPL-LIST-SYNC-DEFAULT",
                "create a template through the target")
    for status in ("APPROVED", "PENDING", "REJECTED", "PAUSED", "APPROVED", "DISABLED"):
        simulator.seed_template(world_id, asset_id, unique_name(rng, "wam"), status=status)

    def metas_truth() -> dict[tuple[str, str], str]:
        live = [t for t in simulator.templates(world_id) if str(t.get("status")).upper() != "DELETED"]
        return {(t["name"], t["language"]): str(t["status"]).upper() for t in live}

    def check(what: str) -> None:
        expected = metas_truth()
        got = {key: tpl.status_of(t) for key, t in tpl.keyed(tpl.listed(wa.client, wa.id, "TPL-LIST-SYNC-DEFAULT")).items()}
        missing = sorted(set(expected) - set(got))
        extra = sorted(set(got) - set(expected))
        wrong = {f"{k[0]}/{k[1]}": (got[k], expected[k]) for k in set(got) & set(expected) if got[k] != expected[k]}
        expect.check(not missing and not extra and not wrong, ("TPL-LIST-SYNC-DEFAULT", "TPL-LIFECYCLE"),
                     f"GET /templates (synced) {what}, Meta answering 2 templates a page",
                     f"exactly Meta's {len(expected)} live templates with Meta's status",
                     {"missing": missing, "extra (not at Meta)": extra, "status (listed, Meta's)": wrong})

    check("with 7 templates at Meta, 6 of them made in WhatsApp Manager")
    seeded = [t for t in simulator.templates(world_id) if str(t.get("name", "")).startswith("wam_")]
    simulator.delete_template_at_meta(world_id, next(str(t["id"]) for t in simulator.templates(world_id)
                                                     if t["name"] == mine))
    simulator.delete_template_at_meta(world_id, str(seeded[0]["id"]))
    check("after one template of the target and one made at Meta were deleted at Meta")


@pytest.mark.req("TPL-LIST-STATUS-FILTER", "TPL-LIFECYCLE")
@pytest.mark.level("simulated")
def test_status_filter_limits_the_list(wa, simulator, rng):
    names = {status: unique_name(rng, status.lower()) for status in ("APPROVED", "PENDING", "REJECTED")}
    for status, name in names.items():
        tpl.created(tpl.create(wa.client, wa.id, template_request(name)), "TPL-CREATE-PENDING", f"create {name}")
        if status != "PENDING":
            tpl.review(simulator, wa, name, status)

    everything = sorted(t.get("name") for t in tpl.listed(wa.client, wa.id, "TPL-LIST-STATUS-FILTER"))
    expect.check(everything == sorted(names.values()), "TPL-LIST-STATUS-FILTER", "list without a status filter",
                 sorted(names.values()), everything)
    for status, name in names.items():
        shown = tpl.listed(wa.client, wa.id, "TPL-LIST-STATUS-FILTER", status=status)
        seen = [(t.get("name"), tpl.status_of(t)) for t in shown]
        expect.check(seen == [(name, status)], "TPL-LIST-STATUS-FILTER", f"list with status={status}",
                     [(name, status)], seen)


@pytest.mark.req("TPL-LIST-STATUS-VALUES")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("value", ["BOGUS", "DELETED", "1", "APPROVED;DROP"])
def test_unknown_status_filter_is_a_validation_error(wa, value):
    response = tpl.listing(wa.client, wa.id, status=value)

    readings.validation_refused(response, "TPL-LIST-STATUS-VALUES", f"list with status={value!r}")
    expect.error_detail(response, "TPL-LIST-STATUS-VALUES", "error body", string=False)


@pytest.mark.req("TPL-404")
@pytest.mark.level("simulated")
def test_unknown_or_foreign_template_is_404(account, channel, world, simulator, rng):
    owner, stranger = account(), account()
    mine = channel(owner, "whatsapp")
    other_channel = channel(owner, "whatsapp", world=world("whatsapp"))
    theirs = channel(stranger, "whatsapp")
    foreign = tpl.created(tpl.create(theirs.client, theirs.id, template_request(unique_name(rng))), "TPL-404",
                          "another account's template")
    on_other = tpl.created(tpl.create(owner.client, other_channel.id, template_request(unique_name(rng))), "TPL-404",
                           "a template of the account's other channel")
    candidates = {"unknown": "tpl_" + unique_name(rng, "nope"), "other account": str(foreign["id"]),
                  "other channel": str(on_other["id"])}

    for label, template_id in candidates.items():
        for operation, response in (("get", tpl.get(owner.client, mine.id, template_id)),
                                    ("update", tpl.update(owner.client, mine.id, template_id,
                                                          {"components": [body_component("Changed {{1}} {{2}}")]})),
                                    ("delete", tpl.delete(owner.client, mine.id, template_id))):
            expect.status(response, 404, "TPL-404", f"{operation} of a template id ({label}) through this channel")
            expect.error_detail(response, "TPL-404", "404 body", string=False)
    for ch, made in ((theirs, foreign), (other_channel, on_other)):
        at_meta = tpl.meta_template(simulator, ch.world.world_id, made["name"])
        expect.check(at_meta is not None and at_meta["components"] == [body_component()], "TPL-404",
                     f"template {made['name']} at Meta after the refused calls", "unchanged, not deleted", at_meta)


# ------------------------------------------------------------------------------------------- update


@pytest.mark.req("TPL-UPDATE-REPLACE", "TPL-UPDATE-BACK-TO-PENDING")
@pytest.mark.level("simulated")
def test_update_replaces_components_and_goes_back_to_pending(wa, simulator, rng):
    name = unique_name(rng)
    before = tpl.new_template(wa.client, wa, simulator, name, components=full_components())
    replacement = [body_component("Hi {{1}}, order {{2}} has been updated.")]
    since = tpl.last_seq(simulator, wa.world.world_id)

    response = tpl.update(wa.client, wa.id, str(before["id"]), {"components": replacement})

    expect.status(response, 200, "TPL-UPDATE-REPLACE", "PUT new components")
    edits = [e for e in tpl.calls(simulator, wa.world.world_id, since, method="POST")]
    expect.check(len(edits) == 1 and (edits[0].json or {}).get("components") == replacement, "TPL-UPDATE-REPLACE",
                 "the edit Meta received", f"one edit carrying exactly {replacement}",
                 [(e.path, e.json) for e in edits])
    at_meta = tpl.meta_template(simulator, wa.world.world_id, name)
    expect.check(at_meta["components"] == replacement, "TPL-UPDATE-REPLACE", "components at Meta", replacement,
                 at_meta["components"])
    got = expect.json_object(tpl.get(wa.client, wa.id, str(before["id"])), "TPL-UPDATE-REPLACE", "GET after PUT")
    kinds = [(tpl.same_type(c), c.get("text")) for c in got.get("components") or []]
    expect.check(kinds == [("BODY", replacement[0]["text"])], "TPL-UPDATE-REPLACE",
                 "components after the PUT (nothing of HEADER/FOOTER/BUTTONS kept)", [("BODY", replacement[0]["text"])],
                 kinds)
    expect.check(tpl.status_of(got) == "PENDING" and at_meta["status"] == "PENDING", "TPL-UPDATE-BACK-TO-PENDING",
                 "status after the edit (target, Meta)", "PENDING", (got.get("status"), at_meta["status"]))


@pytest.mark.req("TPL-UPDATE-COMPONENTS-REQUIRED")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("body", [{}, {"category": "UTILITY"}, {"components": None}], ids=["empty", "category", "null"])
def test_update_requires_components(wa, simulator, rng, body):
    made = tpl.new_template(wa.client, wa, simulator, unique_name(rng), status="REJECTED")
    since = tpl.last_seq(simulator, wa.world.world_id)

    tpl.refused(tpl.update(wa.client, wa.id, str(made["id"]), body), "TPL-UPDATE-COMPONENTS-REQUIRED",
                f"PUT {body}")
    assert_no_meta_write(simulator, wa, since, "TPL-UPDATE-COMPONENTS-REQUIRED", "the refused update")


@pytest.mark.req("TPL-UPDATE-CATEGORY")
@pytest.mark.level("simulated")
@pytest.mark.parametrize(("status", "allowed"), [("REJECTED", True), ("PAUSED", True), ("APPROVED", False),
                                                 ("PENDING", False)])
def test_category_changes_only_while_rejected_or_paused(wa, simulator, rng, status, allowed):
    name = unique_name(rng)
    made = tpl.new_template(wa.client, wa, simulator, name, status=status, category="UTILITY")
    since = tpl.last_seq(simulator, wa.world.world_id)

    response = tpl.update(wa.client, wa.id, str(made["id"]),
                          {"components": [body_component("Hello {{1}}, {{2}} is on sale.")], "category": "MARKETING"})

    at_meta = tpl.meta_template(simulator, wa.world.world_id, name)
    if allowed:
        expect.status(response, 200, "TPL-UPDATE-CATEGORY", f"change the category of a {status} template")
        expect.check(at_meta["category"] == "MARKETING", "TPL-UPDATE-CATEGORY", "category at Meta", "MARKETING",
                     at_meta["category"])
    else:
        tpl.refused(response, "TPL-UPDATE-CATEGORY", f"change the category of a {status} template")
        assert_no_meta_write(simulator, wa, since, "TPL-UPDATE-CATEGORY", "the refused category change")
        expect.check(at_meta["category"] == "UTILITY", "TPL-UPDATE-CATEGORY", "category at Meta", "UTILITY (unchanged)",
                     at_meta["category"])


def _edit(ch, template_id: str, n: int):
    text = f"Edit {n}: hi {{{{1}}}}, {{{{2}}}}."
    return tpl.update(ch.client, ch.id, template_id, {"components": [body_component(text)]})


def _reapprove(simulator, ch, name: str) -> None:
    tpl.review(simulator, ch, name, "APPROVED")
    tpl.listed(ch.client, ch.id, "TPL-LIFECYCLE")


@pytest.mark.req("TPL-UPDATE-ONCE-PER-DAY")
@pytest.mark.level("controlled")
def test_approved_template_is_edited_at_most_once_per_day(wa, simulator, clock, fiwano_profile, rng):
    interval = fiwano_profile["template_edit"]["min_interval_seconds"]
    name = unique_name(rng)
    made = tpl.new_template(wa.client, wa, simulator, name)
    expect.status(_edit(wa, str(made["id"]), 1), 200, "TPL-UPDATE-ONCE-PER-DAY", "first edit of an approved template")
    _reapprove(simulator, wa, name)

    clock.advance(interval - 60, worlds=(wa.world,))
    tpl.refused(_edit(wa, str(made["id"]), 2), "TPL-UPDATE-ONCE-PER-DAY",
                f"second edit {interval - 60} s after the first")
    at_meta = tpl.meta_template(simulator, wa.world.world_id, name)
    expect.check(at_meta["components"][0]["text"].startswith("Edit 1:") and at_meta["status"] == "APPROVED",
                 "TPL-UPDATE-ONCE-PER-DAY", "the template at Meta after the refused edit",
                 "still edit 1 and APPROVED", at_meta)

    clock.advance(120, worlds=(wa.world,))
    expect.status(_edit(wa, str(made["id"]), 3), 200, "TPL-UPDATE-ONCE-PER-DAY",
                  f"an edit {interval + 60} s after the first")


@pytest.mark.req("TPL-UPDATE-ONCE-PER-DAY", "TPL-UPDATE-10-PER-30-DAYS")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("status", ["REJECTED", "PAUSED"])
def test_edit_limits_count_only_for_approved_templates(wa, simulator, rng, status):
    """The limits are those of an approved template (Meta edits rejected and paused ones without limit): an
    approved template is edited, Meta then rejects or pauses it, and the next edit right away is accepted."""
    name = unique_name(rng)
    made = tpl.new_template(wa.client, wa, simulator, name)
    expect.status(_edit(wa, str(made["id"]), 1), 200, "TPL-UPDATE-ONCE-PER-DAY", "first edit of an approved template")
    tpl.review(simulator, wa, name, status)
    tpl.listed(wa.client, wa.id, "TPL-LIFECYCLE")

    expect.status(_edit(wa, str(made["id"]), 2), 200, "TPL-UPDATE-ONCE-PER-DAY",
                  f"an edit right after Meta set the template {status} (the first edit was minutes ago)")
    at_meta = tpl.meta_template(simulator, wa.world.world_id, name)
    expect.check(at_meta["components"][0]["text"].startswith("Edit 2:"), "TPL-UPDATE-ONCE-PER-DAY",
                 f"the template at Meta after the edit of the {status} template", "edit 2", at_meta["components"])


@pytest.mark.req("TPL-UPDATE-10-PER-30-DAYS")
@pytest.mark.level("controlled")
def test_approved_template_is_edited_at_most_ten_times_in_30_days(wa, simulator, clock, fiwano_profile, rng):
    quota = fiwano_profile["template_edit"]["max_per_30_days"]
    interval = fiwano_profile["template_edit"]["min_interval_seconds"]
    window = fiwano_profile["template_edit_window_seconds"]
    name = unique_name(rng)
    made = tpl.new_template(wa.client, wa, simulator, name)
    elapsed = 0
    for n in range(1, quota + 1):
        expect.status(_edit(wa, str(made["id"]), n), 200, "TPL-UPDATE-10-PER-30-DAYS",
                      f"edit {n} of {quota} ({elapsed} s after the first)")
        _reapprove(simulator, wa, name)
        clock.advance(interval + 1, worlds=(wa.world,))
        elapsed += interval + 1

    tpl.refused(_edit(wa, str(made["id"]), quota + 1), "TPL-UPDATE-10-PER-30-DAYS",
                f"edit {quota + 1} within {elapsed} s of the first")
    at_meta = tpl.meta_template(simulator, wa.world.world_id, name)
    expect.check(at_meta["components"][0]["text"].startswith(f"Edit {quota}:"), "TPL-UPDATE-10-PER-30-DAYS",
                 "the template at Meta after the refused edit", f"still edit {quota}", at_meta["components"])

    clock.advance(window - elapsed + 60, worlds=(wa.world,))
    expect.status(_edit(wa, str(made["id"]), quota + 2), 200, "TPL-UPDATE-10-PER-30-DAYS",
                  "an edit once the first edit is more than 30 days old")


# ------------------------------------------------------------------------------------------- delete


@pytest.mark.req("TPL-DELETE", "API-DELETE-STATUS")
@pytest.mark.level("simulated")
def test_delete_removes_the_template_at_meta(wa, simulator, rng):
    name = unique_name(rng)
    made = tpl.created(tpl.create(wa.client, wa.id, template_request(name)), "TPL-DELETE", "create a template")
    since = tpl.last_seq(simulator, wa.world.world_id)

    response = tpl.delete(wa.client, wa.id, str(made["id"]))

    expect.check(200 <= response.status_code < 300, ("TPL-DELETE", "API-DELETE-STATUS"), "DELETE the template",
                 "HTTP 2xx", expect.describe(response))
    deletes = tpl.calls(simulator, wa.world.world_id, since, method="DELETE", path_contains="message_templates")
    expect.check(len(deletes) == 1, "TPL-DELETE", "delete requests to Meta", "exactly one", tpl.describe_calls(deletes))
    expect.check(tpl.meta_template(simulator, wa.world.world_id, name) is None, "TPL-DELETE", "the template at Meta",
                 "deleted", tpl.meta_template(simulator, wa.world.world_id, name))
    expect.status(tpl.get(wa.client, wa.id, str(made["id"])), 404, "TPL-DELETE", "GET the deleted template")
    names = [t.get("name") for t in tpl.listed(wa.client, wa.id, "TPL-DELETE")]
    expect.check(name not in names, "TPL-DELETE", "the list after DELETE", f"without {name!r}", names)


@pytest.mark.level("simulated")
@pytest.mark.parametrize("flag", [
    pytest.param(None, marks=pytest.mark.req("TPL-DELETE-ONE-LANGUAGE"), id="default"),
    pytest.param("false", marks=pytest.mark.req("TPL-DELETE-ONE-LANGUAGE"), id="false"),
    pytest.param("true", marks=pytest.mark.req("TPL-DELETE-ALL-LANGUAGES"), id="all_languages"),
])
def test_delete_one_or_all_languages(wa, simulator, rng, flag):
    name = unique_name(rng)
    languages = [LANGUAGE, "es", "pt_BR"]
    made = {lang: tpl.created(tpl.create(wa.client, wa.id, template_request(name, language=lang)), "TPL-DELETE",
                              f"create {name} in {lang}") for lang in languages}
    req = "TPL-DELETE-ALL-LANGUAGES" if flag == "true" else "TPL-DELETE-ONE-LANGUAGE"

    response = tpl.delete(wa.client, wa.id, str(made["es"]["id"]), all_languages=flag)

    expect.check(200 <= response.status_code < 300, req, f"DELETE the es version (all_languages={flag})", "HTTP 2xx",
                 expect.describe(response))
    expected = [] if flag == "true" else [LANGUAGE, "pt_BR"]
    at_meta = sorted(t["language"] for t in tpl.meta_templates(simulator, wa.world.world_id) if t["name"] == name)
    listed = sorted(t.get("language") for t in tpl.listed(wa.client, wa.id, req) if t.get("name") == name)
    expect.check(at_meta == sorted(expected) and listed == sorted(expected), req,
                 "languages left (at Meta, in the synced list)", sorted(expected), {"meta": at_meta, "list": listed})


@pytest.mark.req("TPL-DELETE-NAME-LOCK")
@pytest.mark.level("controlled")
def test_deleted_approved_name_is_locked_for_30_days(wa, simulator, clock, fiwano_profile, rng):
    lock = fiwano_profile["deleted_template_name_lock_seconds"]
    name = unique_name(rng)
    made = tpl.new_template(wa.client, wa, simulator, name)
    expect.check(200 <= tpl.delete(wa.client, wa.id, str(made["id"])).status_code < 300, "TPL-DELETE-NAME-LOCK",
                 "DELETE the approved template", "HTTP 2xx", "refused")

    tpl.refused(tpl.create(wa.client, wa.id, template_request(name)), "TPL-DELETE-NAME-LOCK",
                "re-create the name right after deleting the approved template")
    clock.advance(lock - 120, worlds=(wa.world,))
    tpl.refused(tpl.create(wa.client, wa.id, template_request(name)), "TPL-DELETE-NAME-LOCK",
                f"re-create the name {lock - 120} s after the deletion")
    expect.check(tpl.meta_template(simulator, wa.world.world_id, name) is None, "TPL-DELETE-NAME-LOCK",
                 "the name at Meta during the lock", "not re-created", "re-created")

    clock.advance(240, worlds=(wa.world,))
    tpl.created(tpl.create(wa.client, wa.id, template_request(name)), "TPL-DELETE-NAME-LOCK",
                f"re-create the name {lock + 120} s after the deletion")


# ------------------------------------------------------------------------------------------- Meta errors


@pytest.mark.req("TPL-META-ERROR-502", "ERR-FORMAT")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("operation", ["create", "update", "delete"])
def test_metas_refusal_is_a_client_or_upstream_error_with_a_detail(wa, simulator, rng, operation):
    """Meta refuses the call for good (HTTP 400, code 100 with a subcode, is_transient false): the target answers
    400 (Meta refused the request itself) or 502 (a Meta API error, as the docs' table has it), with a detail;
    never another 5xx and never a success."""
    name = unique_name(rng)
    made = tpl.new_template(wa.client, wa, simulator, name, status="REJECTED")
    meta_id = tpl.meta_template(simulator, wa.world.world_id, name)["id"]
    match = {"create": {"method": "POST", "path_contains": "message_templates"},
             "update": {"method": "POST", "path_contains": meta_id},
             "delete": {"method": "DELETE", "path_contains": "message_templates"}}[operation]
    refusal = {"kind": "http_error", "status": 400, "code": 100, "subcode": 2388024, "is_transient": False,
               "message": "(#100) Invalid parameter"}
    simulator.add_faults(wa.world.world_id, [{"match": match, "action": refusal, "times": None}])

    response = {"create": lambda: tpl.create(wa.client, wa.id, template_request(unique_name(rng))),
                "update": lambda: tpl.update(wa.client, wa.id, str(made["id"]), {"components": [body_component()]}),
                "delete": lambda: tpl.delete(wa.client, wa.id, str(made["id"]))}[operation]()

    expect.status(response, (400, 502), "TPL-META-ERROR-502", f"template {operation} while Meta refuses it (code 100)")
    expect.error_detail(response, ("TPL-META-ERROR-502", "ERR-FORMAT"), f"{response.status_code} body", string=False)


@pytest.mark.req("TPL-META-ERROR-502", "ERR-FORMAT")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("operation", ["list", "create", "update", "delete"])
@pytest.mark.parametrize("fault", [
    {"kind": "http_error", "status": 500, "code": 1, "message": "An unknown error occurred"},
    {"kind": "http_error", "status": 503, "code": 2, "message": "Service temporarily unavailable"},
    {"kind": "reset"},
], ids=["500", "503", "reset"])
def test_meta_failure_is_502(wa, simulator, rng, operation, fault):
    name = unique_name(rng)
    made = tpl.new_template(wa.client, wa, simulator, name, status="REJECTED")
    meta_id = tpl.meta_template(simulator, wa.world.world_id, name)["id"]
    match = {"list": {"method": "GET", "path_contains": "message_templates"},
             "create": {"method": "POST", "path_contains": "message_templates"},
             "update": {"method": "POST", "path_contains": meta_id},
             "delete": {"method": "DELETE", "path_contains": "message_templates"}}[operation]
    simulator.add_faults(wa.world.world_id, [{"match": match, "action": fault, "times": None}])

    response = {"list": lambda: tpl.listing(wa.client, wa.id),
                "create": lambda: tpl.create(wa.client, wa.id, template_request(unique_name(rng))),
                "update": lambda: tpl.update(wa.client, wa.id, str(made["id"]), {"components": [body_component()]}),
                "delete": lambda: tpl.delete(wa.client, wa.id, str(made["id"]))}[operation]()

    expect.status(response, 502, "TPL-META-ERROR-502", f"template {operation} while Meta fails ({fault['kind']})")
    expect.error_detail(response, ("TPL-META-ERROR-502", "ERR-FORMAT"), "502 body", string=False)
    expect.conforms(response, "TPL-META-ERROR-502")
