"""Child processes that never outlive the command that started them.

``run`` starts pytest, which starts xdist workers, which each start an embedded simulator and reference (in
sessions of their own, so that a Ctrl-C in the terminal does not kill a server before the test that uses it
has torn down); ``load`` starts the embedded pair and Locust, which starts its workers. CI cancels a job with
SIGTERM, a user with Ctrl-C: either must stop *every* one of those processes within seconds, not only the
first child. Process groups alone cannot do it (the servers are in sessions of their own and a worker dying
first orphans its servers), so on a signal the whole tree is snapshotted with psutil *before* anything is
signalled, then all of it gets SIGTERM, and whatever is still alive after a grace period gets SIGKILL.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from contextlib import contextmanager
from typing import Iterator, Sequence

import psutil

GRACE_SECONDS = 3.0  # SIGTERM -> SIGKILL; the whole stop stays under the 5 s a CI runner waits
HANDLED_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class Interrupted(Exception):
    """A termination signal arrived; raised in the main thread so that ``finally`` blocks run."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def tree(pids: Sequence[int]) -> list[psutil.Process]:
    """The processes ``pids`` and all their descendants that are alive now (parents first)."""
    found: dict[int, psutil.Process] = {}
    for pid in pids:
        try:
            root = psutil.Process(pid)
            for process in [root, *root.children(recursive=True)]:
                found.setdefault(process.pid, process)
        except psutil.Error:
            continue
    return list(found.values())


def tree_of_self() -> list[int]:
    """The pids of this process's children (for a signal that lands while they are being started)."""
    try:
        return [child.pid for child in psutil.Process().children()]
    except psutil.Error:
        return []


def stop_tree(pids: Sequence[int], grace: float = GRACE_SECONDS) -> int:
    """SIGTERM ``pids`` and every descendant at once, SIGKILL what is left after ``grace`` seconds.

    Returns how many processes were signalled. The snapshot is taken first: once a parent is gone its
    children are re-parented and could no longer be found from it.
    """
    processes = tree(pids)
    for process in processes:
        try:
            process.terminate()
        except psutil.Error:
            pass
    _gone, alive = psutil.wait_procs(processes, timeout=grace)
    for process in alive:
        try:
            process.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=1.0)
    return len(processes)


@contextmanager
def signals_raise() -> Iterator[None]:
    """Within the block, SIGTERM/SIGINT/SIGHUP raise :class:`Interrupted` (handlers restored afterwards)."""

    def handler(signum: int, _frame: object) -> None:
        raise Interrupted(signum)

    previous = {}
    for signum in HANDLED_SIGNALS:
        try:
            previous[signum] = signal.signal(signum, handler)
        except (ValueError, OSError):  # not the main thread: the caller keeps the default behaviour
            pass
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def run_supervised(command: Sequence[str], companions: Sequence[int] = (), **popen_kwargs: object) -> int:
    """Run ``command`` to its end; on SIGTERM/SIGINT/SIGHUP stop its whole process tree and re-raise.

    The child runs in a session of its own, so a Ctrl-C reaches only this process, which then stops the
    tree in one orderly sweep (pytest's own KeyboardInterrupt handling would leave orphaned servers).
    ``companions`` are other processes of the caller (e.g. an embedded pair) stopped in the same sweep, so
    that the whole stop takes one grace period, not one per group.
    """
    with signals_raise():
        process = subprocess.Popen(list(command), start_new_session=True, **popen_kwargs)  # type: ignore[arg-type]
        try:
            return process.wait()
        except Interrupted as exc:
            count = stop_tree([process.pid, *companions])
            print(f"fiwano-conformance: {exc} received: stopped {count} child process(es)", file=sys.stderr,
                  flush=True)
            raise
        except BaseException:
            stop_tree([process.pid, *companions])
            raise
