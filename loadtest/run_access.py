"""How `govx run` reaches the cluster: plaintext, or on a secure cluster as each process's own principal.

On a secure cluster (`GOVX_SECURITY=sasl`) the run provisions the namespace's principals and ACLs
first (`govx principals provision` for the run's namespace), then hands every child only its own
credentials, in a secrets file of its own (mode 0600, removed after the run): an exchange worker
is `govx-exchange`; a producer holds the passwords of the department nodes of its divisions and
sends each node's events as that node; a receiver reads each of its nodes' inboxes as that node,
in the node's own group. The run itself administers as the super user.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

from exchange.core.access import catalogue_nodes, namespace_prefixes
from exchange.core.catalogue import Catalogue
from exchange.core.directory import Node
from exchange.core.security import EXCHANGE, ClientSecurity, node_principal
from exchange.core.topics import Topics
from exchange.kafka.access import ensure_acls
from exchange.kafka.admin import Admin
from exchange.kafka.principals import provision_principals
from exchange.kafka.transport import Transport, kafka_transport
from exchange.runtime.secrets import read_secrets, write_secrets
from loadtest.plan import ProducerPlan


class RunAccess:
    """The run's own clients, and each child's credentials."""

    def __init__(self, bootstrap: str, security: ClientSecurity, secrets: Path | None, report_dir: Path) -> None:
        self.bootstrap, self.security, self._secrets = bootstrap, security, secrets
        self._dir = report_dir / ".secrets"

    @property
    def secure(self) -> bool:
        return self.security.sasl

    def admin(self) -> Admin:
        return Admin(self.bootstrap, security=self.security)

    def transport(self) -> Transport:
        return kafka_transport(self.bootstrap, self.security)

    def provision(self, catalogue: Catalogue, topics: Topics, exchange_group: str) -> None:
        """The namespace's principals and ACLs (secure cluster only)."""
        if self.secure and self._secrets is not None:
            provision_principals(self.bootstrap, self.security, self._secrets, catalogue, topics, exchange_group)

    def env(self, child: str, principals: Iterable[str], principal: str | None = None) -> dict[str, str]:
        """The settings giving `child` the passwords of `principals` only (nothing when plaintext)."""
        if not self.secure or self._secrets is None:
            return {}
        every = read_secrets(self._secrets)
        path = self._dir / f"{child}.json"
        write_secrets(path, {name: every[name] for name in principals})
        return {"GOVX_SECURITY": "sasl", "GOVX_SECRETS_FILE": str(path), **({"GOVX_PRINCIPAL": principal}
                                                                              if principal else {})}

    def exchange_env(self, child: str) -> dict[str, str]:
        return self.env(child, [EXCHANGE], EXCHANGE)

    def producer_env(self, child: str, plan: Path, catalogue: Catalogue) -> dict[str, str]:
        divisions = {source.division for source in ProducerPlan.read(plan).sources}
        return self.env(child, [node_principal(node) for node in catalogue_nodes(catalogue.departments.values())
                                if node.division in divisions])

    def receiver_args(self, index: int, count: int, consumers: Sequence[Node]) -> list[str]:
        """Secure: the `--node` options of receiver `index` of `count` (its share of the inboxes)."""
        return [arg for node in self.receiver_nodes(index, count, consumers) for arg in ("--node", node.id)]

    def receiver_env(self, index: int, count: int, consumers: Sequence[Node]) -> dict[str, str]:
        nodes = self.receiver_nodes(index, count, consumers)
        return self.env(f"receiver-{index}", [node_principal(node) for node in nodes])

    def receiver_nodes(self, index: int, count: int, consumers: Sequence[Node]) -> list[Node]:
        return sorted(consumers)[index::count] if self.secure else []

    def receiver_groups(self, topics: Topics, consumers: Sequence[Node], inboxes: list[str]) -> dict[str, list[str]]:
        """The receivers' consumer groups and the inboxes each must have read, for the drain."""
        if not self.secure:
            return {f"{topics.namespace}-receivers": inboxes}
        return {topics.node_group(node): [topics.inbox(node)] for node in consumers}

    def revoke(self, catalogue: Catalogue, topics: Topics, exchange_group: str) -> None:
        """Remove the namespace's ACLs once its topics are deleted (the principals stay)."""
        if self.secure:
            admin = self.admin()
            try:
                ensure_acls(admin, [], namespace_prefixes(catalogue.departments.values(), topics, exchange_group))
            finally:
                admin.close()

    def cleanup(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)
