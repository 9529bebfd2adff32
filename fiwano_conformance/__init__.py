"""Command line, server runner and embedded-pair launcher of the Fiwano conformance kit."""

__version__ = "0.1.0"
