"""The keyed users' HTTP client for the target's API: geventhttpclient's ``HTTPClient`` (the library under Locust's
``FastHttpUser``) used directly, one kept-alive connection per user.

``FastHttpUser`` wraps that client in a user agent that, for every request, parses the URL, runs the cookie jar
over the request and the response, handles redirects and retries and wraps the response twice. On the 2-core box
that was ~170 µs of CPU per request, as much as the HTTP exchange itself (``python -m benchmarks.locust_cpu``), and
on the embedded pair every µs of it is taken from the target. The API needs none of it: no cookies, no
redirects, JSON in and out, the API key in every request. The users report each request to Locust's statistics
themselves (``events.request``, as Locust documents for custom clients).

A pooled connection is checked before reuse (idle, not closed by the server) with ``poll``, not with
geventhttpclient's ``select``: ``select`` refuses descriptors from 1024 on (``FD_SETSIZE``), and the pool then
takes the connection for dead, so in a Locust process with ~1,000 users every user whose socket got such a
descriptor opened a new connection for every request (FastHttpUser's pool does the same).

Importing this module needs gevent (Locust's process); the CLI and the kit's tests do not import it.
"""

from __future__ import annotations

import select
from urllib.parse import urlsplit

from gevent import monkey
from geventhttpclient import HTTPClient
from geventhttpclient._parser import HTTPParseError
from locust.contrib.fasthttp import insecure_ssl_context_factory

# what a request without an answer raises: refused, reset, timed out, TLS failure (all OSError), cut-off answers
NO_ANSWER = (OSError, HTTPParseError)

JSON_BODY_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
JSON_HEADERS = {"Accept": "application/json"}

_poll = monkey.get_original("select", "poll")   # the system's poll, whatever gevent patched


def idle_and_open(sock) -> bool:
    """Whether a kept-alive connection can carry the next request: open, and nothing to read (no FIN, no stray
    bytes), whatever its descriptor's number."""
    try:
        fd = sock.fileno()
        if fd < 0:
            return False
        poller = _poll()
        poller.register(fd, select.POLLIN)
        return not poller.poll(0)
    except (OSError, ValueError):
        return False


class ApiClient:
    """Requests to one base URL with fixed headers (the key's ``X-API-Key``), answers read in full.

    ``base_url`` may carry a path prefix (``https://host/fiwano``); TLS certificates are not verified, as with
    Locust's ``FastHttpUser`` (``insecure = True``): a staging target often has a self-signed one.
    """

    def __init__(self, base_url: str, headers: dict[str, str], network_timeout: float = 30.0,
                 connection_timeout: float = 10.0) -> None:
        self._prefix = urlsplit(base_url).path.rstrip("/")
        self._http = HTTPClient.from_url(base_url, headers=headers, concurrency=1, insecure=True,
                                         ssl_context_factory=insecure_ssl_context_factory,
                                         network_timeout=network_timeout, connection_timeout=connection_timeout)
        self._http._connection_pool._is_socket_alive = idle_and_open  # type: ignore[method-assign]  # see the docstring

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        """The status and the body of the answer; raises one of ``NO_ANSWER`` when there was none."""
        headers = JSON_BODY_HEADERS if body is not None else JSON_HEADERS
        with self._http.request(method, self._prefix + path, body=body, headers=headers) as response:
            return response.status_code, response.read()

    def close(self) -> None:
        self._http.close()
