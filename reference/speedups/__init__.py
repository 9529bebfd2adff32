"""The reference's speed-ups, in one room: code that repeats what FastAPI and httpx already do, for CPU only.

* ``dispatch.py``: ``FastDispatchApp``, a direct path for the hottest routes that calls the same key check,
  endpoints and error handlers as FastAPI, and steps aside whenever FastAPI would do anything else.
* ``graph_client.py``: ``FastGraphHTTP``, the kept-alive Graph client of ``reference.meta_client.MetaClient``.
* ``http1.py``: the HTTP/1.1 framing and keep-alive pool (asyncio + httptools) under the Graph client and the
  relay's webhook connections (``reference.webhook_http``, which the relay uses whatever the setting: it also
  pins each connection to the address checked as public).
* ``gc_tuning.py``: the garbage-collector settings of the serving process (``fiwano-conformance reference``
  freezes the built app and collects the young generation less often; tests keep the interpreter's defaults).

The setting ``speedups`` (``ReferenceSettings``, env ``FIWANO_REF_SPEEDUPS``, ``--no-speedups``) switches the
first two and the garbage-collector tuning off: every request then goes through FastAPI and every Graph call through httpx. The answers are the
same either way (tests/reference/test_speedups_dispatch.py, test_speedups_http1.py); only the CPU differs
(docs/benchmarks.md). The mutation audit leaves this room out (fiwano_conformance/selftest/audit.py ``EXCLUDED``).
"""
