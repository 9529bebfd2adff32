"""The shared kit layer: the few conventions every part of the kit must agree on, defined once.

Every part may import it (the suites, the load tests, the reports, the simulator, the reference, the CLI and
the kit's own tests); it imports nothing of the kit but ``contract`` (tests/test_layering.py checks both).
Before it existed the layering forced copies that drifted apart (two redactors with different patterns, two
names for the kit CA's file, the result strings in six places, three hand-written harness clients, one of
which called the subscription change with a method the contract does not declare).

* :mod:`fiwano_conformance.shared.results`: the results protocol between the suites' plugin and the reports
  (skip and failure prefixes, the pytest user properties, the status names);
* :mod:`fiwano_conformance.shared.redact`: what counts as a secret and how it is masked;
* :mod:`fiwano_conformance.shared.kit_ca`: the one CA a target trusts for its webhook calls to the kit;
* :mod:`fiwano_conformance.shared.harness`: the client of a target's harness API, one typed method per
  operation of contract/harness.yaml (the suites subclass it to record evidence);
* :mod:`fiwano_conformance.shared.asgi`: the ASGI key by which an app asks the kit's server for one write per
  answer.
"""
