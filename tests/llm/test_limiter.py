from __future__ import annotations

from benchgate.llm.limiter import FIRST_PROBE_AFTER, AdaptiveLimiter


def test_slow_start_grows_one_per_success_up_to_the_cap() -> None:
    limiter = AdaptiveLimiter(8, 20)
    for _ in range(8):
        limiter.succeeded()
    assert limiter.limit == 16
    for _ in range(50):
        limiter.succeeded()
    assert limiter.limit == 20


def test_a_429_settles_just_below_the_load_that_caused_it_and_probes_rarely() -> None:
    limiter = AdaptiveLimiter(8, 64)
    limiter.overloaded(in_flight_then=9)
    assert (limiter.ceiling, limiter.limit) == (9, 8)
    for _ in range(FIRST_PROBE_AFTER - 1):
        limiter.succeeded()
    assert limiter.limit == 8
    limiter.succeeded()
    assert limiter.limit == 9
    limiter.overloaded(in_flight_then=9)
    assert limiter.limit == 8
    for _ in range(FIRST_PROBE_AFTER):
        limiter.succeeded()
    assert limiter.limit == 8, "after a failed probe the next one waits twice as long"


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
