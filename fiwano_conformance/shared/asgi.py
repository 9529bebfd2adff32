"""ASGI conventions between the kit's apps and its server (fiwano_conformance/guarded_http.py).

``ONE_WRITE``: a key of an ``http.response.start`` message, its value the length of the body, by which an app
promises that the whole body follows at once in one ``http.response.body`` and vouches for the headers: lower-case
names, values without control characters (uvicorn's checks), one ``content-length`` of that length, no
``transfer-encoding`` or ``connection``. The kit's uvicorn protocol then writes head and body in one write instead
of two, without checking each header again (one system call and, on loopback, one wake-up of the client fewer per
answer, and uvicorn's two regular expressions per header; docs/benchmarks.md, issue 17). Other ASGI servers ignore
keys they do not know, so the message stays valid ASGI everywhere.
"""

ONE_WRITE = "fiwano.one_write"
