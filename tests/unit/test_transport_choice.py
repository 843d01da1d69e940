"""`GOVX_KAFKA_CLIENT` picks the transport every process builds its Kafka clients with."""

from __future__ import annotations

import pytest

from exchange.errors import ConfigError
from exchange.kafka.transport import ConfluentTransport, KafkaPythonTransport, kafka_transport


def test_kafka_python_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOVX_KAFKA_CLIENT", raising=False)
    assert isinstance(kafka_transport("127.0.0.1:1"), KafkaPythonTransport)


def test_the_setting_chooses_librdkafka(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVX_KAFKA_CLIENT", "confluent")
    transport = kafka_transport("127.0.0.1:1")
    assert isinstance(transport, ConfluentTransport) and transport.bootstrap == "127.0.0.1:1"


def test_an_explicit_client_wins_over_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVX_KAFKA_CLIENT", "confluent")
    assert isinstance(kafka_transport("127.0.0.1:1", client="kafka-python"), KafkaPythonTransport)


def test_an_unknown_client_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVX_KAFKA_CLIENT", "librdkafka")
    with pytest.raises(ConfigError, match="GOVX_KAFKA_CLIENT"):
        kafka_transport("127.0.0.1:1")
    with pytest.raises(ConfigError, match="choose one of kafka-python, confluent"):
        kafka_transport("127.0.0.1:1", client="rust")
