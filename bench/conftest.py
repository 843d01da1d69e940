"""Benchmarks build their inputs outside the timed function (once per session)."""

from __future__ import annotations

import pytest

from exchange.core.catalogue import load_catalogue
from exchange.core.message import Message
from exchange.core.testing import ExchangeDriver
from loadtest.corebench import standard_mix


@pytest.fixture(scope="session")
def mix() -> tuple[ExchangeDriver, list[Message]]:
    return standard_mix(load_catalogue(), 5000)
