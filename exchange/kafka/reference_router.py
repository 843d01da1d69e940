"""The benchmark's reference router: what a competent engineer writes by hand on confluent-kafka.

Not used by the exchange. `govx bench exchange` (loadtest/drainbench.py) times it in the same run as
govx's worker, on the same input and the same core (`Exchange.process`), so the ratio shows what the
worker's machinery adds or saves. It is the plain loop: poll, decide, produce every delivery and its
usage record, and every `commit_every` events send the consumer's positions to the transaction and
commit it. It lives here because only `exchange/kafka/` may import a Kafka client.
"""

from __future__ import annotations

import time

from confluent_kafka import Consumer, Producer

from exchange.core.decide import Exchange, Moment, dead_letter_headers, usage_record
from exchange.core.topics import Topics
from exchange.kafka.confluent import TIMEOUT_S, consumer_config, to_message


def reference_route(bootstrap: str, topics: Topics, exchange: Exchange, total: int, *, group: str,
                    commit_every: int = 500, audit_per_delivery: bool = True) -> float:
    """Route `total` events; seconds from the first record consumed to the last commit.

    `audit_per_delivery` writes one usage record per delivery (the hand-written habit); False writes
    govx's one record per event, so the two variants measure what fewer records save.
    """
    consumer = Consumer(consumer_config(bootstrap, group))
    producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": f"{group}-tx", "acks": "all",
                         "enable.idempotence": True, "linger.ms": 5})
    producer.init_transactions(TIMEOUT_S)
    consumer.subscribe([topics.source_pattern])
    done, pending, started = 0, 0, 0.0
    try:
        producer.begin_transaction()
        while done < total:
            records = [r for r in consumer.consume(500, 0.5) if r.error() is None]
            if records and not started:
                started = time.perf_counter()
            at = Moment.now()
            for record in records:
                outcome = exchange.process(to_message(record), at)
                message, event = outcome.message, outcome.envelope
                if outcome.dead_letter is not None:
                    producer.produce(topics.dlq, message.value, message.key,
                                     headers=list(dead_letter_headers(message, outcome.dead_letter)))
                    continue
                for delivery in outcome.deliveries:
                    producer.produce(delivery.route.topic, delivery.value, delivery.key, headers=list(delivery.headers))
                    if audit_per_delivery and event is not None:
                        producer.produce(topics.audit, usage_record(event, [delivery], at), event.id.encode())
                if not audit_per_delivery and event is not None and outcome.deliveries:
                    producer.produce(topics.audit, usage_record(event, outcome.deliveries, at), event.id.encode())
            done, pending = done + len(records), pending + len(records)
            if pending >= commit_every or (done >= total and pending):
                producer.send_offsets_to_transaction(consumer.position(consumer.assignment()),
                                                     consumer.consumer_group_metadata(), TIMEOUT_S)
                producer.commit_transaction(TIMEOUT_S)
                producer.begin_transaction()
                pending = 0
        elapsed = time.perf_counter() - started
        producer.abort_transaction(TIMEOUT_S)  # the empty transaction begun after the last commit
        return elapsed
    finally:
        consumer.close()
        producer.flush(TIMEOUT_S)
