"""The requirement catalogue (contract/requirements.yaml) is well-formed and ids are stable."""

from __future__ import annotations

import re

import pytest
import yaml

import contract

ID_RE = re.compile(r"^[A-Z0-9]+(-[A-Z0-9]+)+$")
REQUIRED = {"id", "text", "section", "strength", "channels", "level"}
OPTIONAL = {"readings", "note", "profile", "retired_in"}
LOCK_FILE = contract.CONTRACT_DIR / "requirement-ids.lock"

# The ids the suites used before the catalogue was completed: their meaning is frozen.
SEED_IDS = [
    "AUTH-KEY-REQUIRED", "AUTH-KEY-UNKNOWN", "AUTH-401-BODY", "AUTH-KEY-PREFIX", "CHANNEL-LIST", "CHANNEL-GET",
    "CHANNEL-FIELDS-PER-TYPE", "CHANNEL-SUBSCRIPTION-PRESENT", "ISOLATION-CHANNEL-404", "CHANNEL-PATCH-WEBHOOK",
    "WEBHOOK-EVENTS-PER-CHANNEL", "WEBHOOK-SECRET-AUTOGEN", "CHANNEL-DELETE-SOFT", "SEND-TEXT-OK", "SEND-TEXT-LIMIT",
    "SEND-TEXT-TOO-LONG-BODY", "SEND-TEXT-CHECKED-BEFORE-META", "RELAY-RECEIVED-PAYLOAD", "RELAY-FROM-NAME",
    "RELAY-SIGNATURE", "RELAY-EVENTS-DEFAULT-NONE", "RELAY-EVENTS-ONLY-ENABLED", "META-WEBHOOK-SIGNATURE-CHECKED",
]

# Top-level headings of fiwano-api.md: every section path starts with one of them.
DOC_HEADINGS = {
    "Overview", "Channel Capabilities", "License Tiers", "Authentication", "Connecting Channels", "Channels",
    "Sending Messages", "Media Files", "WhatsApp Templates", "Incoming Webhooks", "Sender Profile",
    "Redirect URIs", "Errors & Rate Limits", "Important Notes",
}


@pytest.fixture(scope="module")
def document():
    with contract.REQUIREMENTS_FILE.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="module")
def entries(document):
    return document["requirements"]


def test_document_shape(document):
    assert document["version"] == 1
    assert isinstance(document["requirements"], list)


def test_well_over_150_requirements(entries):
    assert len(entries) > 150, len(entries)


def test_ids_unique_and_readable(entries):
    ids = [e["id"] for e in entries]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"duplicate ids: {duplicates}"
    bad = [i for i in ids if not ID_RE.match(i)]
    assert not bad, f"ids not matching {ID_RE.pattern}: {bad}"


def test_fields(entries):
    problems = []
    for e in entries:
        rid = e.get("id")
        missing = REQUIRED - set(e)
        unknown = set(e) - REQUIRED - OPTIONAL
        if missing:
            problems.append(f"{rid}: missing {sorted(missing)}")
        if unknown:
            problems.append(f"{rid}: unknown fields {sorted(unknown)}")
        if e.get("strength") not in contract.STRENGTHS:
            problems.append(f"{rid}: strength {e.get('strength')!r}")
        if e.get("level") not in contract.LEVELS:
            problems.append(f"{rid}: level {e.get('level')!r}")
        channels = e.get("channels")
        if not isinstance(channels, list) or not channels or not set(channels) <= set(contract.CHANNEL_TYPES) \
                or len(set(channels)) != len(channels):
            problems.append(f"{rid}: channels {channels!r} must be a non-empty subset of {contract.CHANNEL_TYPES}")
        for key in ("text", "section"):
            if not isinstance(e.get(key), str) or len(e.get(key, "").strip()) < 3:
                problems.append(f"{rid}: {key} must be a non-empty string")
        # a rule of the v1 docs is under a docs heading; one of a later profile under its changelog entry
        headings = {"Changelog"} if e.get("profile") else DOC_HEADINGS
        if isinstance(e.get("section"), str) and e["section"].split(" / ")[0] not in headings:
            problems.append(f"{rid}: section {e['section']!r} does not start with {sorted(headings)[:3]}...")
        for key in ("profile", "retired_in"):
            if key in e and e[key] not in contract.profile_names():
                problems.append(f"{rid}: {key} {e[key]!r} is no profile of contract/profiles/")
        if e.get("profile") and e.get("profile") == e.get("retired_in"):
            problems.append(f"{rid}: introduced and retired in the same profile")
        if "note" in e and not isinstance(e["note"], str):
            problems.append(f"{rid}: note must be a string")
    assert not problems, "\n".join(problems)


def test_readings(entries):
    problems = []
    with_readings = [e for e in entries if "readings" in e]
    for e in with_readings:
        readings = e["readings"]
        if not isinstance(readings, list) or len(readings) < 2:
            problems.append(f"{e['id']}: readings need at least two competing interpretations")
            continue
        ids = [r.get("id") for r in readings]
        if len(set(ids)) != len(ids) or not all(isinstance(i, str) and re.match(r"^[a-z0-9][a-z0-9-]*$", i) for i in ids):
            problems.append(f"{e['id']}: reading ids must be unique lower-case slugs: {ids}")
        for r in readings:
            if set(r) != {"id", "text"} or not isinstance(r.get("text"), str) or not r["text"]:
                problems.append(f"{e['id']}: reading {r!r} must be exactly {{id, text}}")
    assert not problems, "\n".join(problems)
    # the ambiguities the issue names are all recorded
    recorded = {e["id"] for e in with_readings}
    for rid in ("SEND-TEXT-LENGTH-UNIT", "ERR-FORMAT", "SEND-TEXT-REJECTOR", "RATE-LIMIT-429", "MEDIA-MAX-SIZE",
                "WEBHOOK-EVENTS-PER-CHANNEL"):
        assert rid in recorded, rid


def test_text_values_are_quoted_in_the_file():
    """House style: text, section and note values are quoted YAML scalars (no surprises from ':' or '#')."""
    bad = []
    for number, line in enumerate(contract.REQUIREMENTS_FILE.read_text(encoding="utf-8").splitlines(), 1):
        match = re.match(r"^\s+(?:- )?(text|section|note): (.*)$", line)
        if match and not match.group(2).startswith(("'", '"')):
            bad.append(f"line {number}: {line.strip()}")
    assert not bad, "\n".join(bad)


def test_seed_ids_kept(entries):
    ids = {e["id"] for e in entries}
    assert not [i for i in SEED_IDS if i not in ids]


def test_ids_never_removed_or_renamed(entries):
    """contract/requirement-ids.lock is append-only: every id ever issued stays in the catalogue."""
    locked = [line.strip() for line in LOCK_FILE.read_text(encoding="utf-8").splitlines()
              if line.strip() and not line.startswith("#")]
    ids = [e["id"] for e in entries]
    removed = [i for i in locked if i not in ids]
    assert not removed, f"ids removed or renamed (ids are permanent, see docs/requirements.md): {removed}"
    unlocked = [i for i in ids if i not in locked]
    assert not unlocked, f"new ids must also be appended to {LOCK_FILE.name}: {unlocked}"


def test_channel_specific_rules_exist(entries):
    """The catalogue is channel-specific where the docs are: per-channel entries exist for each channel."""
    for channel in contract.CHANNEL_TYPES:
        only = [e["id"] for e in entries if e["channels"] == [channel]]
        assert only, f"no rule specific to {channel}"


def test_loader_matches_file(entries):
    loaded = contract.load_requirements()
    assert list(loaded) == [e["id"] for e in entries]


def test_counts_reported(entries, capsys):
    by = {}
    for e in entries:
        by.setdefault((e["strength"], e["level"]), 0)
        by[(e["strength"], e["level"])] += 1
    with capsys.disabled():
        print(f"\n[contract] {len(entries)} requirements: "
              + ", ".join(f"{s}/{lvl}={n}" for (s, lvl), n in sorted(by.items())))


def test_every_ambiguity_is_in_the_docs_table(entries):
    """docs/requirements.md lists every requirement that records readings."""
    text = (contract.CONTRACT_DIR.parent / "docs" / "requirements.md").read_text(encoding="utf-8")
    missing = [e["id"] for e in entries if "readings" in e and f"| {e['id']} |" not in text]
    assert not missing, f"add to the ambiguity table of docs/requirements.md: {missing}"


def test_profiles_partition_the_catalogue(entries):
    """Every profile judges the v1 rules it does not retire plus the rules of its lineage; default judges
    exactly the entries without a profile; a retired rule is never retired in default."""
    by_id = {e["id"]: e for e in entries}
    default = contract.requirements_of_profile("default")
    assert set(default) == {rid for rid, e in by_id.items() if not e.get("profile")}
    for name in contract.profile_names():
        lineage = contract.profile_lineage(name)
        mine = contract.requirements_of_profile(name)
        for rid, e in by_id.items():
            expected = (e.get("profile") in (None, *lineage)) and e.get("retired_in") not in lineage
            assert (rid in mine) == expected, (name, rid)
    assert not [rid for rid, e in by_id.items() if e.get("retired_in") == "default"]
