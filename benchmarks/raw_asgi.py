"""The baseline: a raw ASGI app that reads the request body and answers a constant JSON body.

Run as ``taskset -c 0 python -m uvicorn benchmarks.raw_asgi:app --loop uvloop --http httptools
--no-access-log --log-level warning --port PORT`` (what ``simulator_send.py`` does).
"""

BODY = (b'{"messaging_product":"whatsapp","contacts":[{"input":"15551234567","wa_id":"15551234567"}],'
        b'"messages":[{"id":"wamid.HBgLMTU1NTEyMzQ1NjcVAgARGBI5QUNGMDAwMDAwMDAwMDAwAA=="}]}')
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
