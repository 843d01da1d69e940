"""`govx exchange`: one exchange worker process."""

from __future__ import annotations

import os

import typer

from exchange.kafka.transport import kafka_transport
from exchange.runtime.metrics import counting_refusals
from exchange.runtime.secrets import client_security
from exchange.runtime.service import announce_ready, configure_logging, metrics_server, settle_heap, stop_on_signals
from exchange.runtime.settings import load_settings
from exchange.worker import Worker, WorkerConfig


def exchange(
    worker_id: str = typer.Option("0", help="stable id: its transactional id is <group>-<worker id>"),
    metrics_port: int | None = typer.Option(None, help="serve /metrics here (default GOVX_METRICS_PORT; 0 = any)"),
    max_batch: int = typer.Option(500, min=1, help="most events per poll (GOVX_TRANSACTION_EVENTS: per transaction)"),
    give_up_after: float = typer.Option(120.0, min=1.0, help="exit (status 2, with the reason) after failing "
                                        "this many seconds in a row; a broker restart is waited out"),
    log_level: str = typer.Option("INFO", help="logging level"),
    batch_delay_ms: float = typer.Option(0.0, min=0.0, hidden=True,
                                         help="testing only: wait this long in every batch (a planted slowdown)"),
) -> int:
    """Run one exchange worker: consume sources, deliver per the directory, in transactions.

    Start several with different --worker-id to share the load by partition. SIGTERM finishes the
    batch in hand and leaves the group; a restarted worker with the same id fences its
    predecessor's open transaction at once.
    """
    configure_logging(log_level)
    settings = load_settings()
    config = WorkerConfig(worker_id, group=settings.exchange_group,
                          namespace=settings.topic_namespace, max_batch=max_batch, give_up_s=give_up_after,
                          transaction_events=settings.transaction_events, transaction_ms=settings.transaction_ms,
                          batch_delay_s=batch_delay_ms / 1000)
    stop = stop_on_signals()
    port = settings.metrics_port if metrics_port is None else metrics_port
    with metrics_server(settings.metrics_host, port) as (metrics, bound):
        worker = Worker(config, metrics, kafka_transport(settings.bootstrap, client_security(settings),
                                                         client=settings.kafka_client))

        def ready() -> None:
            settle_heap()
            announce_ready(role="exchange", worker_id=worker_id, metrics_port=bound, pid=os.getpid())

        with counting_refusals(metrics):  # a refused password or ACL stops the worker, counted first
            worker.run(stop, ready)
    return 0
