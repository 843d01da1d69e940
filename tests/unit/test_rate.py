"""Open-loop rate control: fractional and high rates hold without drift; ramps and steps."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from producers.rate import RateProfile


def test_a_fractional_rate_is_held_exactly() -> None:
    due = list(RateProfile.build(0.3, 60).due_times())
    assert len(due) == 18
    assert due[:3] == pytest.approx([0.0, 10 / 3, 20 / 3])
    assert due[-1] == pytest.approx(17 / 0.3)


def test_a_high_rate_does_not_drift_over_a_long_run() -> None:
    due = RateProfile.build(5000, 400).due_times()
    last = next(itertools.islice(due, 1_999_999, None))
    assert last == pytest.approx(1_999_999 / 5000, abs=1e-6)


def test_a_ramp_starts_slowly_and_reaches_the_rate() -> None:
    profile = RateProfile.build(100, 20, ramp_s=10)
    due = list(profile.due_times())
    assert len(due) == profile.expected_events == 500 + 1000
    in_first_half_of_ramp = sum(1 for t in due if t < 5)
    assert in_first_half_of_ramp == pytest.approx(125, abs=1)
    assert profile.rate_at(5) == pytest.approx(50)
    steady = [b - a for a, b in itertools.pairwise(t for t in due if t >= 10)]
    assert max(steady) == pytest.approx(0.01) and min(steady) == pytest.approx(0.01)


def test_steps_change_the_rate_at_their_time() -> None:
    due = list(RateProfile.build(10, 30, steps=[(10, 40), (20, 0)]).due_times())
    assert sum(1 for t in due if t < 10) == 100
    assert sum(1 for t in due if 10 <= t < 20) == 400
    assert not [t for t in due if t >= 20]


@pytest.mark.parametrize("bad", [dict(rate=-1, duration_s=10), dict(rate=1, duration_s=0),
                                 dict(rate=1, duration_s=10, ramp_s=-1)])
def test_impossible_profiles_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RateProfile.build(**bad)  # type: ignore[arg-type]


@given(rate=st.floats(min_value=0.05, max_value=2000), duration=st.floats(min_value=1, max_value=30),
       ramp=st.floats(min_value=0, max_value=10))
def test_due_times_are_ordered_inside_the_run_and_match_the_area(rate: float, duration: float, ramp: float) -> None:
    profile = RateProfile.build(rate, duration, ramp_s=ramp)
    due = list(profile.due_times())
    assert all(a <= b for a, b in itertools.pairwise(due))
    assert all(0 <= t < duration + 1e-9 for t in due)
    assert abs(len(due) - profile.expected_events) <= 1
