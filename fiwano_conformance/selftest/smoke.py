"""The smoke set: a few broad suite tests run against EVERY mutant, beside the tests mapped to its ids.

What a smoke result means (docs/self-test.md, "The smoke set"):

* a mutant is **killed** only when a test whose requirement ids (its ``fiwano_req``) include one of the
  mutant's ids fails; a smoke test counts as a killer only when it names one of those ids itself;
* a smoke test that fails without naming one of the mutant's ids means the mutant is **broken beyond its
  defect** (it breaks listing channels, sending text or relaying an inbound text, which its one defect
  should not): the runner flags it ``smoke broken`` in the table and in mutants.json. The flag does not
  change killed/survived, but such a mutant proves little about its own ids: make its defect narrower.

The set is small and fast on purpose (six tests, about a second per mutant): it runs ~230 times per
catalogue run.
"""

from __future__ import annotations

SMOKE_TESTS: tuple[str, ...] = (
    # list and read a connected channel, per channel type
    "suites/test_channels.py::test_connected_channel_is_listed_and_readable",
    # an inbound text is relayed (message.received) and a text send to its sender reaches Meta, per channel
    "suites/test_send.py::test_reply_goes_to_the_sender_of_the_inbound_webhook",
)


def function_of(nodeid: str) -> str:
    """``suites/x.py::test_y[param]`` -> ``suites/x.py::test_y``."""
    return nodeid.split("[", 1)[0]


def is_smoke(nodeid: str, smoke: tuple[str, ...] = SMOKE_TESTS) -> bool:
    """Whether a run's test (a junit node id, possibly parametrized) belongs to the smoke set."""
    base = function_of(nodeid)
    return any(base == function_of(s) and (s == base or s == nodeid) for s in smoke)
