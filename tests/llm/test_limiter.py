from __future__ import annotations

from benchgate.llm.limiter import FIRST_PROBE_AFTER, MAX_PROBE_AFTER, AdaptiveLimiter


def test_slow_start_grows_one_per_success_up_to_the_cap() -> None:
    limiter = AdaptiveLimiter(8, 20)
    for _ in range(8):
        limiter.succeeded()
    assert limiter.limit == 16
    for _ in range(50):
        limiter.succeeded()
    assert limiter.limit == 20


def settled(ceiling: int) -> AdaptiveLimiter:
    """A limiter whose window of `ceiling` drew a burst of 429s."""
    limiter = AdaptiveLimiter(ceiling, 64)
    for _ in range(5):
        limiter.overloaded(in_flight_then=ceiling)
    assert (limiter.ceiling, limiter.limit) == (ceiling, ceiling - 1)
    return limiter


def test_a_429_near_the_top_of_the_window_sets_the_ceiling_at_once() -> None:
    limiter = AdaptiveLimiter(8, 64)
    limiter.overloaded(in_flight_then=9)
    assert (limiter.ceiling, limiter.limit) == (9, 8)


def test_429s_far_below_the_window_set_a_ceiling_only_when_several_agree() -> None:
    limiter = AdaptiveLimiter(40, 64)
    limiter.overloaded(in_flight_then=20)
    assert (limiter.ceiling, limiter.limit) == (None, 36), "one is only a hint"
    limiter.overloaded(in_flight_then=22)
    limiter.overloaded(in_flight_then=21)
    assert (limiter.ceiling, limiter.limit) == (20, 19)


def test_a_straggler_among_agreeing_429s_is_left_out() -> None:
    limiter = AdaptiveLimiter(40, 64)
    for load in (21, 2, 23):
        limiter.overloaded(in_flight_then=load)
    assert (limiter.ceiling, limiter.limit) == (21, 20)


def test_429s_answered_out_of_order_never_raise_the_limit() -> None:
    limiter = AdaptiveLimiter(61, 64)
    limiter.overloaded(in_flight_then=43)  # far below the window: only a hint
    limiter.overloaded(in_flight_then=64)  # the burst's last request, answered first
    assert (limiter.ceiling, limiter.limit) == (64, 61 * 0.9)
    limiter.overloaded(in_flight_then=45)
    assert (limiter.ceiling, limiter.limit) == (45, 44)


def test_a_lone_straggler_429_does_not_set_the_ceiling() -> None:
    limiter = AdaptiveLimiter(32, 64)
    limiter.overloaded(in_flight_then=2)  # sent when the others had finished
    assert limiter.ceiling is None
    assert limiter.limit >= 28
    for _ in range(40):
        limiter.succeeded()
    assert limiter.limit == 64


def test_the_burst_that_sets_a_ceiling_does_not_shrink_the_limit_further() -> None:
    limiter = settled(9)
    for load in range(9, 40):
        limiter.overloaded(in_flight_then=load)  # the rest of the same burst
    assert (limiter.ceiling, limiter.limit) == (9, 8)


def test_probing_survives_a_burst_of_429s_and_recovers() -> None:
    limiter = settled(9)
    for _ in range(FIRST_PROBE_AFTER):
        limiter.succeeded()
    assert limiter.limit == 9, "the probe"
    for load in [9] * 100:
        limiter.overloaded(in_flight_then=load)  # one burst answers the probe
    assert limiter.limit == 8
    for _ in range(2 * FIRST_PROBE_AFTER - 1):
        limiter.succeeded()
    assert limiter.limit == 8, "a failed probe doubles the interval once"
    limiter.succeeded()
    assert limiter.limit == 9, "and probing goes on"
    for _ in range(MAX_PROBE_AFTER * 20):
        if limiter.limit > 8:
            limiter.overloaded(in_flight_then=9)
        limiter.succeeded()
    assert limiter.limit in {8, 9}
    assert limiter._probe_after == MAX_PROBE_AFTER


def test_a_probe_that_holds_raises_the_ceiling_and_probes_sooner() -> None:
    limiter = settled(9)
    for _ in range(FIRST_PROBE_AFTER):
        limiter.succeeded()
    limiter.overloaded(in_flight_then=9)  # first probe fails: next one after 2x
    for _ in range(2 * FIRST_PROBE_AFTER):
        limiter.succeeded()
    assert limiter.limit == 9
    for _ in range(2 * FIRST_PROBE_AFTER):
        limiter.succeeded()  # the probe held: the endpoint serves 9 now
    assert (limiter.ceiling, limiter.limit) == (10, 10)
    for _ in range(FIRST_PROBE_AFTER):
        limiter.succeeded()
    assert limiter.limit == 11, "back to the first interval"


def test_503_backs_off_gently_and_never_below_one() -> None:
    limiter = AdaptiveLimiter(10, 64)
    limiter.faltered()
    assert limiter.limit == 9
    for _ in range(100):
        limiter.faltered()
    assert limiter.limit == 1


def test_plain_progress_prints_periodic_lines_for_logs() -> None:
    import io

    from benchgate.llm.progress import PlainProgress

    stream = io.StringIO()
    with PlainProgress(10, lambda: 3, stream, every_s=0.0) as progress:
        progress.advance(4)
        progress.advance(6)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[-1].startswith("benchgate: 10/10 calls, ")
    assert lines[-1].endswith("retries 3")
