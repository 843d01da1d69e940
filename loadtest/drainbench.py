"""`govx bench exchange`: govx's workers draining the standard mix, against the references, in one run.

The same standard mix (see `corebench`) is written to a fresh namespace's source topics once. Then
each drain reads all of it under its own group, on the same broker, one after the other
(`loadtest/drains.py` says how each is timed):

- **bare copies** — every record copied unchanged to one topic: kafka-python, confluent-kafka, and
  confluent-kafka in transactions of one poll (≤ 500 events);
- **reference router** — the hand-written confluent-kafka transactional loop on govx's own core,
  500 events per transaction (`exchange/kafka/reference_router.py`), writing one usage record per
  delivery (the habit) and one per event (govx's format, the same records as the worker);
- **govx workers** — `govx exchange` processes on each client, 1 and 2 workers.

The ratios compare govx's worker to the reference router writing the same records, round by round: the
broker's cost per append moves several times over minutes (its disk, its JIT), so only drains of the same
round are compared, and the reference router runs before the workers in even rounds and after them in odd
ones. A drain's ratio is the median of its per-round ratios.
"""

from __future__ import annotations

import statistics
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from exchange.core.catalogue import load_catalogue
from exchange.core.codec import SchemaRegistry
from exchange.core.decide import Exchange, Moment
from exchange.core.message import Message
from exchange.core.rules import Rules
from exchange.core.testing import ExchangeDriver
from exchange.core.topics import Topics
from exchange.kafka.provision import provision, read_directory
from exchange.kafka.transport import Transport, closed_after, kafka_transport
from loadtest import drains
from loadtest.corebench import standard_mix
from loadtest.namespace import delete_namespace

REFERENCE = "reference router, usage per event"
DEFAULT_SIZE = 5000  # GOVX_TRANSACTION_EVENTS's default


@dataclass(frozen=True)
class DrainBench:
    """Every drain's rate in every round (events/s), in the order the rounds ran."""

    events: int
    rounds: dict[str, list[float]] = field(default_factory=dict)  # drain → events/s, one per round

    @property
    def rates(self) -> dict[str, float]:
        """Each drain's median rate over the rounds."""
        return {name: statistics.median(seen) for name, seen in self.rounds.items()}

    def ratios(self, drain: str, reference: str = REFERENCE) -> list[float]:
        """`drain` against `reference` in each round: two drains of one round ran minutes apart at most."""
        return [rate / base for rate, base in zip(self.rounds[drain], self.rounds[reference], strict=True)]

    def ratio(self, drain: str, reference: str = REFERENCE) -> float:
        """The median of the per-round ratios (not a ratio of medians, which would pair different rounds)."""
        return statistics.median(self.ratios(drain, reference))


def _fill(transport: Transport, messages: list[Message]) -> None:
    with closed_after(transport.producer(linger_ms=20)) as publisher:
        publisher.send_batch((m.topic, m.value, m.key, m.headers) for m in messages)


def _create_inboxes(transport: Transport, topics: Topics, driver: ExchangeDriver, messages: list[Message]) -> None:
    """Create the inboxes the mix will reach before timing anything (as `govx run` does)."""
    at = Moment.now()
    consumers = {d.route.consumer for m in messages for d in driver.exchange.process(
        m._replace(topic=driver.rules.topics.source(m.topic.rsplit(".", 1)[1])), at).deliveries}
    with closed_after(transport.admin()) as admin:
        admin.ensure_topics(topics.inboxes(consumers))


def _core(transport: Transport, topics: Topics) -> Exchange:
    """The core compiled from the namespace's directory, as a worker compiles it."""
    view = read_directory(transport, topics, load_catalogue())
    rules = Rules(SchemaRegistry(), topics)
    rules.update(view, list(view.resources))
    return Exchange(rules)


def plan(bootstrap: str, topics: Topics, total: int, workers: tuple[int, ...], clients: tuple[str, ...],
         round_no: int = 0, sizes: tuple[int, ...] = (DEFAULT_SIZE,)) -> dict[str, Callable[[], float]]:
    """Every drain of one round, by name, in the order they run (groups and copy topics named per round)."""
    kp, rd = kafka_transport(bootstrap, client="kafka-python"), kafka_transport(bootstrap, client="confluent")
    steps: dict[str, Callable[[], float]] = {
        "bare copy, kafka-python": lambda: drains.bare_copy(kp, topics, total, False, f"kp{round_no}"),
        "bare copy, confluent": lambda: drains.bare_copy(rd, topics, total, False, f"rd{round_no}"),
        "bare copy, confluent, transactions": lambda: drains.bare_copy(rd, topics, total, True, f"rdtx{round_no}"),
        "reference router, usage per delivery": lambda: drains.reference(
            bootstrap, topics, _core(rd, topics), total, audit_per_delivery=True, round_no=round_no),
        REFERENCE: lambda: drains.reference(bootstrap, topics, _core(rd, topics), total, audit_per_delivery=False,
                                            round_no=round_no),
    }
    for client in clients:
        for count in workers:
            for size in sizes:
                name = f"govx worker ({client})" if count == 1 else f"govx {count} workers ({client})"
                name = name if size == DEFAULT_SIZE else f"{name[:-1]}, ≤ {size} events per transaction)"
                steps[name] = _workers(bootstrap, topics, total, client, count, round_no, size)
    if round_no % 2:  # the reference router last: neither side always runs on the broker the other left
        steps[REFERENCE] = steps.pop(REFERENCE)
    return steps


def _workers(bootstrap: str, topics: Topics, total: int, client: str, count: int, round_no: int,
             size: int) -> Callable[[], float]:
    group = f"{topics.namespace}-w{count}-{client}-{size}-{round_no}"
    return lambda: drains.workers(bootstrap, topics, total, client=client, count=count, group=group,
                                  transaction_events=size)


def measure_drain(bootstrap: str, events: int = 20_000, partitions: int = 3, seed: int = 1, *,
                  workers: tuple[int, ...] = (1, 2), clients: tuple[str, ...] = ("kafka-python", "confluent"),
                  rounds: int = 1, sizes: tuple[int, ...] = (DEFAULT_SIZE,),
                  progress: Callable[[str, float], None] | None = None) -> DrainBench:
    """Fill a fresh namespace with the mix, run every drain on it `rounds` times, delete the namespace's
    topics. Odd rounds run the reference router after govx's workers, even rounds before them."""
    catalogue = load_catalogue()
    topics = Topics(f"bench-{uuid.uuid4().hex[:8]}")
    transport = kafka_transport(bootstrap, client="confluent")
    provision(transport, topics, catalogue, partitions=partitions)
    driver, messages = standard_mix(catalogue, events, seed=seed, topics=topics)
    _create_inboxes(transport, topics, driver, messages)
    _fill(transport, messages)
    seen: dict[str, list[float]] = {}
    try:
        for round_no in range(rounds):
            for name, drain in plan(bootstrap, topics, len(messages), workers, clients, round_no, sizes).items():
                seen.setdefault(name, []).append(len(messages) / drain())
                if progress is not None:
                    progress(name, seen[name][-1])
    finally:
        delete_namespace(transport, topics)
    return DrainBench(len(messages), seen)
