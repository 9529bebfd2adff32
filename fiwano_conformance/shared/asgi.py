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

# ``ANSWER_NOW``: the name of an app's synchronous method ``answer_now(scope, body)`` that the kit's uvicorn protocol
# calls for a request whose head and whole body arrived together, before it would start the app's ASGI task. It
# returns ``(status, headers, body)`` (headers vouched for as with ``ONE_WRITE``) and the server writes that answer
# at once, with no task, no receive or send, and no ASGI message; or None, and the request goes to the app the ASGI
# way. The scope is the server's, before uvicorn's proxy-headers middleware (which changes only ``client`` and
# ``scheme``). Issue 17: about a fifth of a simulator send was this ASGI scaffolding (docs/benchmarks.md).
ANSWER_NOW = "answer_now"
