"""The pacer keeps an absolute grid and never bursts to catch up, whatever the latency."""

from loadtests.pacing import Pacer, phase_for


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def run(pacer: Pacer, clock: FakeClock, latencies: list[float]) -> list[float]:
    """Simulate a user: sleep the pacer's delay, send (record the time), wait for the answer."""
    sent = []
    for latency in latencies:
        clock.now += pacer.next_delay()
        sent.append(clock.now)
        clock.now += latency
    return sent


def test_fast_answers_give_an_exact_grid_with_phase():
    clock = FakeClock()
    sent = run(Pacer(0.5, phase=0.2, clock=clock), clock, [0.01] * 5)
    assert [round(t - 100.0, 6) for t in sent] == [0.2, 0.7, 1.2, 1.7, 2.2]


def test_latency_does_not_accumulate_drift():
    clock = FakeClock()
    sent = run(Pacer(1.0, clock=clock), clock, [0.9] * 10)
    assert [round(t - 100.0, 6) for t in sent] == [float(i) for i in range(10)]


def test_a_slow_answer_skips_slots_instead_of_bursting():
    clock = FakeClock()
    sent = run(Pacer(1.0, clock=clock), clock, [0.1, 3.5, 0.1, 0.1])
    # request 2 left at 1.0 and came back at 4.5: it goes at once, the next waits for the 5.0 slot
    assert [round(t - 100.0, 6) for t in sent] == [0.0, 1.0, 4.5, 5.0]
    gaps = [b - a for a, b in zip(sent, sent[1:], strict=False)]
    window_counts = [sum(1 for t in sent if start <= t < start + 2.0) for start in sent]
    assert max(window_counts) <= 2.0 / 1.0 + 1
    assert min(gaps) > 0


def test_phases_spread_over_one_interval():
    phases = [phase_for(i, 0.6, 3) for i in range(6)]
    assert phases == [0.0, 0.2, 0.4, 0.0, 0.2, 0.4] or all(abs(a - b) < 1e-9 for a, b in
                                                            zip(phases, [0.0, 0.2, 0.4, 0.0, 0.2, 0.4], strict=True))
