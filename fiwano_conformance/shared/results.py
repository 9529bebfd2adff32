"""The results protocol: what the suites' pytest plugin writes and the reports read back.

A test the run does not claim is skipped with a reason starting :data:`NOT_CLAIMED_PREFIX`; a test that
cannot run because the setup lacks something fails with :data:`MISSING_PREREQUISITE_PREFIX`; each test
carries its requirement ids, level and channel as pytest user properties (they reach junit.xml too). The
strings are part of the kit's public output (results.json, junit.xml), so they are defined here once.
"""

from __future__ import annotations

from typing import Final

NOT_CLAIMED_PREFIX: Final = "not-claimed:"
MISSING_PREREQUISITE_PREFIX: Final = "missing-prerequisite:"
EVIDENCE_SECTION_PREFIX: Final = "fiwano evidence:"

# pytest user properties of a suite test (also junit.xml ``property`` names)
REQ_PROPERTY: Final = "fiwano_req"  # space-separated requirement ids
LEVEL_PROPERTY: Final = "fiwano_level"
CHANNEL_PROPERTY: Final = "fiwano_channel"
TEST_ID_PROPERTY: Final = "fiwano_test"  # the stable test id (node id without the parametrization's noise)
READING_PROPERTY: Final = "fiwano_reading"  # "REQ-ID=reading": the reading of an ambiguous rule a test took
REAL_TIME_PROPERTY: Final = "fiwano_real_time_seconds"  # seconds a test waited in real time (--fiwano-real-time)
STATUS_PROPERTY: Final = "fiwano_status"
KNOWN_FAILURE_PROPERTY: Final = "fiwano_known_failure"

# the status of a test (and, rolled up, of a requirement) in results.json
PASS: Final = "pass"
FAIL: Final = "fail"
ERROR: Final = "error"
NOT_CLAIMED: Final = "not-claimed"
XFAIL: Final = "xfail"
SKIP: Final = "skip"
STATUSES: Final = (PASS, FAIL, ERROR, NOT_CLAIMED, XFAIL, SKIP)
