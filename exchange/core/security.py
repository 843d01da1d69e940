"""Who a govx process is on a secure cluster: its principal, and how its clients authenticate.

`ClientSecurity` is the one value every Kafka client of a process is built with, whatever the
client library. Its fields map one to one onto the client configuration:

| ClientSecurity | kafka-python          | librdkafka / confluent-kafka |
|----------------|-----------------------|------------------------------|
| protocol       | security_protocol     | security.protocol            |
| mechanism      | sasl_mechanism        | sasl.mechanism               |
| username       | sasl_plain_username   | sasl.username                |
| password       | sasl_plain_password   | sasl.password                |

Principal names (docs/operations.md "Broker security"): one per department node
(`node-<division>-<department>`), one for the exchange workers, one for the API, one super user
for administration and one for the broker itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from exchange.core.directory import Node

SCRAM = "SCRAM-SHA-512"
ADMIN = "govx-admin"
BROKER = "govx-broker"
EXCHANGE = "govx-exchange"
API = "govx-api"
SERVICE_PRINCIPALS = (ADMIN, BROKER, EXCHANGE, API)


def node_principal(node: Node) -> str:
    """The SCRAM user name of a department node, e.g. `node-440106-gongan`."""
    return f"node-{node.division}-{node.department}"


def principal_node(principal: str) -> Node | None:
    """The node a principal name stands for; None for the service principals."""
    kind, _, rest = principal.partition("-")
    division, _, department = rest.partition("-")
    if kind != "node" or len(division) != 6 or not division.isdigit() or not department:
        return None
    return Node(division, department)


@dataclass(frozen=True)
class ClientSecurity:
    """How a client authenticates: PLAINTEXT (nothing), or SASL/SCRAM as one principal."""

    protocol: str = "PLAINTEXT"
    mechanism: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.protocol not in ("PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"):
            raise ValueError(f"security protocol {self.protocol!r} is not PLAINTEXT, SASL_PLAINTEXT or SASL_SSL")
        if self.sasl and not (self.mechanism and self.username and self.password):
            raise ValueError(f"{self.protocol} needs a mechanism, a user name and a password")

    @classmethod
    def scram(cls, username: str, password: str) -> ClientSecurity:
        return cls("SASL_PLAINTEXT", SCRAM, username, password)

    @property
    def sasl(self) -> bool:
        return self.protocol.startswith("SASL")

    @property
    def principal(self) -> str:
        """Who the broker sees: `User:<name>`, or `User:ANONYMOUS` without SASL."""
        return f"User:{self.username}" if self.sasl else "User:ANONYMOUS"

    def librdkafka(self) -> dict[str, str]:
        """The same settings as librdkafka (confluent-kafka) configuration properties."""
        if not self.sasl:
            return {"security.protocol": self.protocol.lower()}
        return {"security.protocol": self.protocol.lower(), "sasl.mechanism": str(self.mechanism),
                "sasl.username": str(self.username), "sasl.password": str(self.password)}


PLAINTEXT = ClientSecurity()
