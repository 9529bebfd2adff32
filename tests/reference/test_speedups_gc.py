"""The serving reference's garbage-collector settings (reference/speedups/gc_tuning.py, docs/benchmarks.md issue 17).

Under load the default settings ran a full collection every few seconds over the whole heap; the tuned process
freezes what exists once the app is built and collects the young generation every 50,000 allocations.
"""

from __future__ import annotations

import argparse
import gc

from reference.speedups.gc_tuning import YOUNG_THRESHOLD, tune_for_serving


def test_tune_for_serving_freezes_the_built_app_and_raises_only_the_young_threshold() -> None:
    before = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    try:
        tune_for_serving()
        assert gc.get_threshold() == (YOUNG_THRESHOLD, before[1], before[2])
        assert gc.get_freeze_count() > frozen_before
        assert gc.isenabled()  # collections still run: cycles made while serving are freed
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_the_server_process_tunes_only_with_the_speedups(monkeypatch) -> None:
    """``fiwano-conformance reference`` tunes after building the app; ``--no-speedups`` keeps the defaults."""
    import fiwano_conformance.serve_cmd as serve_cmd
    import reference.speedups.gc_tuning as gc_tuning

    calls: list[str] = []
    monkeypatch.setattr(gc_tuning, "tune_for_serving", lambda: calls.append("tuned"))
    monkeypatch.setattr(serve_cmd, "serve", lambda factory, **_: calls.append(type(factory("http://127.0.0.1:9")).__name__))
    for extra, expected in (([], ["tuned"]), (["--no-speedups"], [])):
        calls.clear()
        parser = argparse.ArgumentParser()
        serve_cmd.add_arguments(parser, "reference")
        assert serve_cmd.run(parser.parse_args(["--db", ":memory:", *extra])) == 0
        assert calls[:-1] == expected and calls[-1] in ("FastDispatchApp", "BodyLimitedApp")
