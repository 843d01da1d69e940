"""The secure local broker (`govx kafka up --secure`): SASL/SCRAM, ACLs, deny by default.

The client listener is SASL_PLAINTEXT with SCRAM-SHA-512 only: the broker is bound to loopback
(or a compose network), and SCRAM never sends the password, so TLS would add a generated CA
and keystores for no gain on loopback (docs/operations.md "Broker security" says how to move
to SASL_SSL). The KRaft controller listener uses SASL PLAIN with a static credential, because
SCRAM cannot authenticate broker-to-controller traffic (its credentials live in the metadata
log the controller serves). Authorization is the StandardAuthorizer with
`allow.everyone.if.no.acl.found=false`; the broker's and the admin's principals are the only
super users. Their SCRAM credentials are written into the metadata log when storage is
formatted (`kafka-storage format --add-scram`), so they exist before the broker first starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from exchange.core.security import ADMIN, BROKER, SCRAM, ClientSecurity
from exchange.runtime.secrets import ensure_passwords

AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
SCRAM_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule"
PLAIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule"


class SecureLayout(Protocol):
    """What the secure configuration needs of a broker layout."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def controller_port(self) -> int: ...
    @property
    def secrets_path(self) -> Path: ...


def _passwords(layout: SecureLayout) -> dict[str, str]:
    return ensure_passwords(layout.secrets_path, (ADMIN, BROKER))


def admin_security(layout: SecureLayout) -> ClientSecurity:
    """The admin super user, for pinging and administering the secure broker."""
    return ClientSecurity.scram(ADMIN, _passwords(layout)[ADMIN])


def secure_properties(layout: SecureLayout) -> dict[str, str]:
    """The settings that replace the PLAINTEXT listeners of `server.properties`."""
    password = _passwords(layout)[BROKER]
    client = f"SASL_PLAINTEXT://{layout.host}:{layout.port}"
    return {
        "listeners": f"{client},CONTROLLER://{layout.host}:{layout.controller_port}",
        "advertised.listeners": client,
        "inter.broker.listener.name": "SASL_PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:SASL_PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
        "sasl.enabled.mechanisms": SCRAM,
        "sasl.mechanism.inter.broker.protocol": SCRAM,
        "sasl.mechanism.controller.protocol": "PLAIN",
        "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
        "listener.name.controller.plain.sasl.jaas.config":
            f'{PLAIN_MODULE} required username="{BROKER}" password="{password}" user_{BROKER}="{password}";',
        "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config":
            f'{SCRAM_MODULE} required username="{BROKER}" password="{password}";',
        "authorizer.class.name": AUTHORIZER,
        "allow.everyone.if.no.acl.found": "false",
        "super.users": f"User:{BROKER};User:{ADMIN}",
        "connection.failed.authentication.delay.ms": "0",
    }


def apply_security(lines: list[str], layout: SecureLayout) -> list[str]:
    """`lines` of server.properties with the secure listeners and the authorizer in place."""
    secure = secure_properties(layout)
    kept = [line for line in lines if line and line.partition("=")[0] not in secure]
    return [*kept, *(f"{key}={value}" for key, value in secure.items()), ""]


def format_arguments(layout: SecureLayout) -> list[str]:
    """`kafka-storage format` arguments creating the super users' SCRAM credentials."""
    passwords = _passwords(layout)
    return [argument for name in (BROKER, ADMIN)
            for argument in ("--add-scram", f"{SCRAM}=[name={name},password={passwords[name]}]")]
