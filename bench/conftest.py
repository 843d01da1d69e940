"""Benchmarks build their inputs outside the timed function (once per session)."""

from __future__ import annotations

import pytest

from exchange.catalogue import load_catalogue
from exchange.message import Message
from exchange.runner.corebench import standard_mix
from exchange.testing import ExchangeDriver


@pytest.fixture(scope="session")
def mix() -> tuple[ExchangeDriver, list[Message]]:
    return standard_mix(load_catalogue(), 5000)
