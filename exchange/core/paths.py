"""Where govx's data folders are: in a source checkout, or packaged inside the wheel."""

from __future__ import annotations

from pathlib import Path

from exchange.errors import ConfigError

_PACKAGE = Path(__file__).resolve().parents[1]
_CHECKOUT = _PACKAGE.parent
_PACKAGED = _PACKAGE / "_data"


def _find(checkout_relative: str, packaged_relative: str) -> Path:
    for candidate in (_CHECKOUT / checkout_relative, _PACKAGED / packaged_relative):
        if candidate.is_dir():
            return candidate
    raise ConfigError(f"govx data folder {checkout_relative!r} is missing from this installation")


def schemas_dir() -> Path:
    """The folder of `.avsc` files and the catalogue."""
    return _find("schemas", "schemas")


def kafka_deploy_dir() -> Path:
    """The folder holding the broker's pom and logging configuration."""
    return _find("deploy/kafka", "deploy/kafka")


def scenarios_dir() -> Path:
    """The folder of the shipped load scenarios."""
    return _find("bench/scenarios", "scenarios")
