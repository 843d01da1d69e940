"""Settings come from GOVX_ variables; unknown or invalid ones fail loudly and say which."""

from __future__ import annotations

from pathlib import Path

import pytest

from exchange.errors import ConfigError
from exchange.runtime.settings import load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.upper().startswith("GOVX_"):
            monkeypatch.delenv(key)


def test_defaults_point_at_the_local_broker() -> None:
    settings = load_settings()
    assert settings.bootstrap == "127.0.0.1:9092"
    assert settings.controller_port == 9093
    assert settings.approval_deadline_days == 10


def test_values_come_from_govx_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVX_BOOTSTRAP_SERVERS", "kafka-1:9092,kafka-2:9092")
    monkeypatch.setenv("GOVX_KAFKA_PORT", "19092")
    monkeypatch.setenv("GOVX_DATA_DIR", "/srv/govx-data")
    settings = load_settings()
    assert settings.bootstrap == "kafka-1:9092,kafka-2:9092"
    assert settings.controller_port == 19093
    assert settings.data_dir == Path("/srv/govx-data")


def test_an_unknown_govx_variable_is_an_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVX_BOOTSTRAP_SERVER", "typo:9092")
    with pytest.raises(ConfigError, match="GOVX_BOOTSTRAP_SERVER") as caught:
        load_settings()
    assert "GOVX_BOOTSTRAP_SERVERS" in str(caught.value)


@pytest.mark.parametrize(("key", "value"), [("GOVX_KAFKA_PORT", "ninety"), ("GOVX_KAFKA_PORT", "70000"),
                                            ("GOVX_APPROVAL_DEADLINE_DAYS", "0"), ("GOVX_KAFKA_HEAP", "lots")])
def test_an_invalid_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, key: str, value: str) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match=key):
        load_settings()
