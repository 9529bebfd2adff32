"""The kit's servers accept every pending connection when the listening socket is readable
(``fiwano_conformance.serving.AcceptAll``): uvloop alone accepts one per event-loop iteration, and a saturated
server then left a burst of new connections waiting in the kernel's queue for tens of seconds (issue 17,
docs/benchmarks.md "the load side's direct client"). Counted in loop iterations, not in time."""

import asyncio
import socket

import uvloop

from fiwano_conformance.serving import AcceptAll, bind_socket


class _Counted(asyncio.Protocol):
    def __init__(self, made: list) -> None:
        self.made = made

    def connection_made(self, transport) -> None:
        self.made.append(transport)


async def _iterations_until(predicate, limit: int) -> int:
    for tick in range(limit):
        if predicate():
            return tick
        await asyncio.sleep(0)   # one event-loop iteration
    return limit


def _run(scenario):
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:   # the loop the kit's servers run on
        return runner.run(scenario())


def test_a_burst_of_pending_connections_is_accepted_in_one_wake_up_not_one_per_iteration():
    async def scenario():
        made: list = []
        sock = bind_socket("127.0.0.1", 0)
        server = AcceptAll(asyncio.get_running_loop(), sock, lambda: _Counted(made))
        clients = [socket.create_connection(sock.getsockname()) for _ in range(60)]   # all pending at once
        ticks = await _iterations_until(lambda: len(made) == 60, 60)
        server.close()
        await server.wait_closed()
        for transport in made:
            transport.close()
        for client in clients:
            client.close()
        sock.close()
        return ticks, len(made)

    ticks, made = _run(scenario)
    assert made == 60
    assert ticks <= 5   # accepted, set up and connection_made called within a few iterations (uvloop: >= 60)


def test_a_closed_acceptor_accepts_nothing_more():
    async def scenario():
        made: list = []
        sock = bind_socket("127.0.0.1", 0)
        server = AcceptAll(asyncio.get_running_loop(), sock, lambda: _Counted(made))
        first = socket.create_connection(sock.getsockname())
        await _iterations_until(lambda: len(made) == 1, 20)
        server.close()
        await server.wait_closed()
        second = socket.create_connection(sock.getsockname())   # completed by the kernel, never accepted
        await _iterations_until(lambda: len(made) == 2, 20)
        for transport in made:
            transport.close()
        first.close()
        second.close()
        sock.close()
        return len(made)

    assert _run(scenario) == 1
