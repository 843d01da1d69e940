"""Settings from `GOVX_*` environment variables (pydantic-settings).

Every field below is read from `GOVX_<NAME>`; an unknown `GOVX_` variable is an error, so a
typo such as `GOVX_BOOTSTRAP_SERVER` fails loudly instead of being ignored.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from exchange.errors import ConfigError

ENV_PREFIX = "GOVX_"


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "govx"


class Settings(BaseSettings):
    """The settings of every govx process."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="forbid")

    bootstrap_servers: str | None = Field(
        default=None, description="Kafka bootstrap servers; default: the local broker govx manages"
    )
    kafka_host: str = Field(default="127.0.0.1", description="address the local broker listens on")
    kafka_port: int = Field(default=9092, ge=1, le=65535, description="local broker client port")
    kafka_controller_port: int | None = Field(
        default=None, ge=1, le=65535, description="local broker KRaft controller port (default port+1)"
    )
    kafka_heap: str = Field(default="1g", pattern=r"^\d+[mg]$", description="local broker JVM heap")
    data_dir: Path = Field(default=Path(".govx"), description="broker storage, ledgers and reports")
    cache_dir: Path = Field(default_factory=_default_cache_dir, description="downloaded broker jars")
    metrics_host: str = Field(default="127.0.0.1", description="/metrics listen address")
    metrics_port: int = Field(default=9464, ge=0, le=65535, description="/metrics port; 0 picks one")
    topic_namespace: str = Field(default="gov", pattern=r"^[a-z][a-z0-9_-]{0,40}$",
                                 description="prefix of every topic (gov.src.…, gov.dlv.…)")
    api_host: str = Field(default="127.0.0.1", description="directory API listen address")
    api_port: int = Field(default=8000, ge=0, le=65535, description="directory API port")
    api_keys_file: Path | None = Field(
        default=None, description="TOML file mapping department nodes to API keys"
    )
    directory_write_timeout_s: float = Field(
        default=5.0, gt=0, le=60, description="longest an API directory write waits for the broker before a 503")
    api_max_grant_days: int = Field(default=1826, ge=1, le=3653, description="longest validity window of a grant")
    api_lookups_per_minute: int = Field(default=600, ge=1, le=1_000_000, description="record look-ups per API key")
    api_max_body_bytes: int = Field(default=65536, ge=1024, le=16_777_216, description="largest request body")
    registry_host: str = Field(default="127.0.0.1", description="schema registry listen address")
    registry_port: int = Field(default=8081, ge=0, le=65535, description="schema registry port (Confluent's)")
    approval_deadline_days: int = Field(default=10, ge=1, le=365, description="working days to decide")
    partitions: int = Field(default=3, ge=1, le=64, description="partitions of new source topics")
    kafka_client: Literal["kafka-python", "confluent"] = Field(
        default="kafka-python", description="Kafka client library: kafka-python, or confluent (librdkafka)")
    transaction_events: int = Field(default=5000, ge=1, le=100_000,
                                    description="a worker commits its transaction after this many events")
    transaction_ms: int = Field(default=1000, ge=1, le=60_000,
                                description="… or this many ms after its first event, or when a poll comes back short")
    exchange_group: str = Field(default="govx-exchange", min_length=1, description="worker group id")
    security: Literal["plaintext", "sasl"] = Field(
        default="plaintext", description="plaintext, or sasl: SASL/SCRAM-SHA-512 with ACLs (`govx kafka up --secure`)")
    principal: str | None = Field(default=None, description="SCRAM user this process authenticates as (sasl)")
    sasl_mechanism: Literal["SCRAM-SHA-512", "PLAIN"] = Field(
        default="SCRAM-SHA-512", description="SCRAM-SHA-512; PLAIN only for the compose cluster's internal listener")
    sasl_password: str | None = Field(default=None, repr=False,
                                      description="its password; default: looked up in the secrets file")
    secrets_file: Path | None = Field(default=None, description="SCRAM passwords (default <data dir>/secrets.json)")

    def model_post_init(self, __context: Any) -> None:
        unknown = unknown_keys(os.environ)
        if unknown:
            known = ", ".join(sorted(ENV_PREFIX + name.upper() for name in type(self).model_fields))
            raise ConfigError(f"unknown setting(s) {', '.join(unknown)}; known settings: {known}")

    @property
    def bootstrap(self) -> str:
        """The bootstrap servers to use: the configured ones, else the local broker."""
        return self.bootstrap_servers or f"{self.kafka_host}:{self.kafka_port}"

    @property
    def secrets_path(self) -> Path:
        """Where the SCRAM passwords of the secure broker's principals are kept (mode 0600)."""
        return self.secrets_file or self.data_dir / "secrets.json"

    @property
    def controller_port(self) -> int:
        """The local broker's KRaft controller port."""
        return self.kafka_controller_port or self.kafka_port + 1


def unknown_keys(environ: dict[str, str] | os._Environ[str]) -> list[str]:
    """The `GOVX_` variables in `environ` that name no setting."""
    known = {ENV_PREFIX + name.upper() for name in Settings.model_fields}
    return sorted(k for k in environ if k.upper().startswith(ENV_PREFIX) and k.upper() not in known)


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, turning a validation failure into a `ConfigError` that names the key."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{ENV_PREFIX}{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from exc
