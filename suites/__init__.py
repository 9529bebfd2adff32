"""The conformance suites: black-box pytest tests of any Fiwano target, and their pytest plugin."""
