"""Department simulators on virtual time: schedules, chains, faults and reproducibility."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from exchange.core.catalogue import Catalogue, load_catalogue
from exchange.core.envelope import parse
from exchange.core.topics import Topics
from exchange.errors import TransportError
from producers.faults import Fault
from producers.rate import RateProfile
from producers.simulator import Simulator, Source

ORIGIN = datetime(2026, 11, 21, 0, 0, tzinfo=UTC)


class VirtualTime:
    """A clock that only moves when the simulator sleeps."""

    def __init__(self, start: float) -> None:
        self.now = start

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class ListSink:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes | None, tuple[tuple[str, bytes], ...], int | None]] = []

    def send(self, topic: str, value: bytes | None, *, key: bytes | None = None,
             headers: tuple[tuple[str, bytes], ...] = (), timestamp_ms: int | None = None) -> None:
        self.sent.append((topic, value, key, tuple(headers), timestamp_ms))

    def flush(self, timeout_s: float | None = None) -> None:
        return None


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def simulate(catalogue: Catalogue, *, seed: int = 1, start: float = 1_800_000_000.0, bad_share: float = 0.0,
             sources: list[Source] | None = None) -> tuple[ListSink, VirtualTime]:
    time = VirtualTime(start)
    sink = ListSink()
    plan = sources or [Source("440106", d, RateProfile.build(2.0, 10)) for d in ("weijian", "gongan", "scjg")]
    Simulator(catalogue, Topics(), sink, plan, seed=seed, start_s=start, clock_origin=ORIGIN, bad_share=bad_share,
              clock=time.clock, sleep=time.sleep, pool_size=120).run()
    return sink, time


def test_a_seeded_run_repeats_byte_for_byte_apart_from_event_times(catalogue: Catalogue) -> None:
    first, _ = simulate(catalogue, start=1_800_000_000.0)
    second, _ = simulate(catalogue, start=1_800_003_600.0)
    assert len(first.sent) == len(second.sent) > 60
    for a, b in zip(first.sent, second.sent, strict=True):
        assert a[:3] == b[:3]
        assert [h for h in a[3] if h[0] != "ce_time"] == [h for h in b[3] if h[0] != "ce_time"]
        assert b[4] - a[4] == 3_600_000  # type: ignore[operator]


def test_another_seed_gives_other_events(catalogue: Catalogue) -> None:
    assert simulate(catalogue, seed=1)[0].sent[0][1] != simulate(catalogue, seed=2)[0].sent[0][1]


def test_roots_follow_the_schedule_and_are_stamped_with_their_intended_time(catalogue: Catalogue) -> None:
    profile = RateProfile.build(0.5, 20)
    sink, _ = simulate(catalogue, sources=[Source("440106", "minzheng", profile)])
    stamps = [sent[4] for sent in sink.sent]
    assert stamps == [1_800_000_000_000 + int(t * 1000) for t in profile.due_times()]
    times = [parse(sent[3]).time for sent in sink.sent]
    assert times[1] == "2027-01-15T08:00:02.000Z"


def test_every_death_is_followed_by_the_cancellation_of_the_same_person(catalogue: Catalogue) -> None:
    sink, _ = simulate(catalogue, sources=[Source("440106", "weijian", RateProfile.build(5.0, 10))])
    events = [(parse(h), key) for _, _, key, h, _ in sink.sent]
    deaths = {key for envelope, key in events if envelope.resource == "death_certificate"}
    cancellations = {key for envelope, key in events if envelope.resource == "household_change"}
    assert deaths and deaths <= cancellations
    sources = {envelope.resource: envelope.department for envelope, _ in events}
    assert sources["death_certificate"] == "weijian" and sources["household_change"] == "gongan"


def test_a_share_of_events_is_deliberately_bad_and_tagged(catalogue: Catalogue) -> None:
    sink, _ = simulate(catalogue, bad_share=0.25, sources=[Source("440106", d, RateProfile.build(20.0, 10))
                                                           for d in ("weijian", "scjg")])
    tags = Counter(dict(h).get("govx_fault", b"").decode() for _, _, _, h, _ in sink.sent)
    bad = sum(count for tag, count in tags.items() if tag)
    assert 0.18 < bad / len(sink.sent) < 0.32
    assert {tag for tag in tags if tag} == {fault.value for fault in Fault}


def test_with_senders_each_event_goes_out_as_the_node_that_published_it(catalogue: Catalogue) -> None:
    """On a secure cluster each node publishes as itself; a wrong-source event still goes out as the
    provider that really sent it (the lie is in its ce_source, which the exchange dead-letters)."""
    time, sinks = VirtualTime(1_800_000_000.0), dict[tuple[str, str], ListSink]()
    plan = [Source("440106", d, RateProfile.build(2.0, 10)) for d in ("weijian", "gongan", "scjg")]
    Simulator(catalogue, Topics(), ListSink(), plan, seed=1, start_s=time.now, clock_origin=ORIGIN, bad_share=0.3,
              faults=[Fault.WRONG_SOURCE], clock=time.clock, sleep=time.sleep, pool_size=120,
              senders=lambda division, department: sinks.setdefault((division, department), ListSink())).run()
    assert len(sinks) >= 3
    lied = 0
    for (division, department), sink in sinks.items():
        for topic, *_, headers, _ in sink.sent:
            resource = topic.removeprefix("gov.src.")
            assert department in catalogue.resources[resource].providers, (department, resource)
            source = dict(headers)["ce_source"].decode()
            lied += source != f"/{division}/{department}"
    assert lied > 0
class StallingSink(ListSink):
    """A cluster that times out every send for `stall_s` of (virtual) time from the 5th event on."""

    def __init__(self, time: VirtualTime, stall_s: float) -> None:
        super().__init__()
        self.time, self.stall_until, self.stall_s = time, 0.0, stall_s

    def send(self, topic: str, value: bytes | None, *, key: bytes | None = None,
             headers: tuple[tuple[str, bytes], ...] = (), timestamp_ms: int | None = None) -> None:
        if len(self.sent) == 5 and not self.stall_until:
            self.stall_until = self.time.now + self.stall_s
        if self.time.now < self.stall_until:
            raise TransportError("producing failed: KafkaTimeoutError: metadata not available after 30 s")
        super().send(topic, value, key=key, headers=headers, timestamp_ms=timestamp_ms)


def run_stalling(catalogue: Catalogue, stall_s: float) -> StallingSink:
    time = VirtualTime(1_800_000_000.0)
    sink = StallingSink(time, stall_s)
    plan = [Source("440106", "weijian", RateProfile.build(2.0, 10))]
    Simulator(catalogue, Topics(), sink, plan, seed=1, start_s=time.now, clock_origin=ORIGIN,
              clock=time.clock, sleep=time.sleep, pool_size=120).run()
    return sink


def test_a_send_that_times_out_is_retried_until_the_cluster_answers(catalogue: Catalogue) -> None:
    assert len(run_stalling(catalogue, 20.0).sent) == len(simulate(
        catalogue, sources=[Source("440106", "weijian", RateProfile.build(2.0, 10))])[0].sent)


def test_a_producer_that_cannot_send_for_two_minutes_gives_up_with_the_reason(catalogue: Catalogue) -> None:
    with pytest.raises(TransportError, match="producer could not recover within 120 s; last error: producing"):
        run_stalling(catalogue, 1000.0)


class UnacknowledgingSink(ListSink):
    """A cluster that has gone: sends are queued (as kafka-python's are), but nothing is acknowledged."""

    def __init__(self, time: VirtualTime) -> None:
        super().__init__()
        self.time, self.flushes = time, 0

    def flush(self, timeout_s: float | None = None) -> None:
        self.flushes += 1
        self.time.sleep(timeout_s or 30.0)
        raise TransportError("flushing the producer failed: KafkaTimeoutError: Timeout waiting for future")


def test_a_producer_whose_sends_are_never_acknowledged_gives_up_with_the_reason(catalogue: Catalogue) -> None:
    """A send only queues: without waiting for acknowledgements a producer on a dead cluster never gave up."""
    time = VirtualTime(1_800_000_000.0)
    sink = UnacknowledgingSink(time)
    plan = [Source("440106", "weijian", RateProfile.build(2.0, 600))]
    simulator = Simulator(catalogue, Topics(), sink, plan, seed=1, start_s=time.now, clock_origin=ORIGIN,
                          clock=time.clock, sleep=time.sleep, pool_size=120, give_up_s=20)
    with pytest.raises(TransportError, match="producer could not recover within 20 s; last error: flushing"):
        simulator.run()
    assert 0 < len(sink.sent) < 20 and sink.flushes >= 4  # of a 600 s schedule: it stopped after its first second
