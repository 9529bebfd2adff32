"""The load shape: how many keyed users run when, from the profile; then a drain phase that stops every user
and waits until all of them have given their key (and their last rows) back, so the verdict is computed on
complete data, in a local run as well as with workers.

One shape class serves all four profile shapes (steady, burst, soak: every key from the start; ramp: keys join
step by step); what differs between them is the per-key rate and the gates, which come from the profile.
"""

from __future__ import annotations

import logging
import time

from locust import LoadTestShape

from loadtests import runtime
from loadtests.users import InboundUser, ReadUser, SendUser, StatusUser

log = logging.getLogger("fiwano.load")


def keyed_classes(mix) -> list[type]:
    """The keyed user classes in use, weighted by the profile's send/read mix (set on the master)."""
    classes = []
    if mix.send_weight > 0:
        SendUser.weight = max(1, round(mix.send_weight * 100))
        classes.append(SendUser)
    if mix.read_weight > 0:
        ReadUser.weight = max(1, round(mix.read_weight * 100))
        classes.append(ReadUser)
    return classes


class ProfileShape(LoadTestShape):
    """Drives the run from the session's load profile (``--fiwano-profile``)."""

    def tick(self):
        session = runtime.session()
        if session is None or session.error or session.profile is None:
            return None
        profile = session.profile
        elapsed = self.get_run_time()
        inbound, statuses = session.inbound_users(), session.status_users()
        InboundUser.fixed_count, StatusUser.fixed_count = inbound, statuses
        classes = (keyed_classes(profile.mix) + ([InboundUser] if inbound else [])
                   + ([StatusUser] if statuses else []))
        if session.drain_started is None and elapsed < profile.duration_seconds and not self._ramp_done(session):
            keys = session.keys_at(elapsed)
            session.note_keys(keys)
            return keys + inbound + statuses, profile.spawn_rate, classes
        return self._drain(session, classes)

    def _ramp_done(self, session) -> bool:
        """Checked once per tick (1 s) during a ramp, cheap until a step has finished."""
        if session.profile.shape.value != "ramp" or session.ramp_stopped:
            return session.ramp_stopped
        session.ramp_stopped = session.ramp_should_stop()
        return session.ramp_stopped

    def _drain(self, session, classes):
        if session.drain_started is None:
            session.drain_started = time.monotonic()
            session.close_steps()
            log.info("run time over: stopping users and collecting their rows")
        idle = session.coordinator.idle() and self.get_current_user_count() == 0
        if idle or time.monotonic() - session.drain_started > session.profile.drain_seconds:
            if not idle:
                log.warning("drain timeout: %d keys still claimed; their last rows may be missing",
                            len(session.coordinator.claimed))
            return None
        # stop every user in one batch: Locust stops users spawn_rate at a time, each batch waiting up to the
        # graceful stop timeout, so 1,000 users at 100/s would outlast the drain (Locust warns; harmless here)
        return 0, float(max(self.get_current_user_count(), session.profile.spawn_rate, 1)), classes
