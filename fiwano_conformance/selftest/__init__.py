"""The self-test runner behind ``fiwano-conformance selftest`` (docs/self-test.md): the mutant catalogue's loader,
the lanes of preloaded workers that run a mutant against the suites, the results and coverage of the catalogue,
and the mutation audit. Its data stays in a checkout's ``tests/mutants/``: the hand-written defects, the
untargeted list and the audit's triage (the command needs a source checkout, as before).
"""
