"""How `govx run` reaches the cluster: plaintext, or on a secure cluster as each process's own principal.

On a secure cluster (`GOVX_SECURITY=sasl`) the run provisions the namespace's principals and ACLs
first (`govx principals provision` for the run's namespace), then hands every child only its own
credentials, in a secrets file of its own (mode 0600, removed after the run): an exchange worker
is `govx-exchange`; a producer holds the passwords of the department nodes of its divisions and
sends each node's events as that node; a receiver reads each of its nodes' inboxes as that node,
in the node's own group. The run itself administers as the super user. Plaintext, all of this
is a no-op and the children start as before.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

from exchange.core.access import catalogue_nodes, namespace_prefixes
from exchange.core.catalogue import Catalogue
from exchange.core.directory import Node
from exchange.core.security import EXCHANGE, ClientSecurity, node_principal
from exchange.core.topics import Topics
from exchange.errors import TransportError
from exchange.kafka.access import ensure_acls
from exchange.kafka.admin import Admin
from exchange.kafka.principals import provision_principals
from exchange.kafka.transport import Transport
from exchange.runtime.secrets import read_secrets, write_secrets
from loadtest.namespace import delete_namespace, prepare
from loadtest.plan import ProducerPlan
from loadtest.processes import Child, Children
from loadtest.scenario import Scenario

log = logging.getLogger(__name__)


class RunAccess:
    """The run's administration of its namespace, and each child's credentials."""

    def __init__(self, security: ClientSecurity, secrets: Path | None, catalogue: Catalogue, topics: Topics,
                 children: Children, report_dir: Path, receivers: int) -> None:
        self.security, self._secrets, self._catalogue, self._topics = security, secrets, catalogue, topics
        self._children, self._dir, self._receivers = children, report_dir / ".secrets", receivers
        self.consumers: list[Node] = []

    @property
    def secure(self) -> bool:
        return self.security.sasl and self._secrets is not None

    def prepare(self, transport: Transport, scenario: Scenario, folder: Path) -> None:
        """The namespace's principals and ACLs (secure cluster only), then its topics and directory."""
        if self.secure:
            provision_principals(transport.bootstrap, self.security, self._secrets or Path(), self._catalogue,
                                 self._topics, self._topics.run_exchange_group)
        self.consumers = prepare(transport, self._topics, self._catalogue, scenario, folder)

    def start(self, name: str, role: str, args: Sequence[str]) -> Child:
        """Start a child; on a secure cluster with only its own credentials (and a receiver's nodes)."""
        nodes = self._receiver_nodes(int(name.rsplit("-", 1)[1])) if role == "receiver" else []
        extra = [arg for node in nodes for arg in ("--node", node.id)]
        return self._children.start(name, role, [*args, *extra], self._env(name, role, args, nodes))

    def _env(self, name: str, role: str, args: Sequence[str], nodes: list[Node]) -> dict[str, str]:
        if role == "exchange":
            return self._credentials(name, [EXCHANGE], EXCHANGE)
        if role == "producer":
            divisions = {source.division for source in ProducerPlan.read(Path(args[args.index("--plan") + 1])).sources}
            return self._credentials(name, [node_principal(node) for node in catalogue_nodes(
                self._catalogue.departments.values()) if node.division in divisions])
        return self._credentials(name, [node_principal(node) for node in nodes])

    def _credentials(self, child: str, principals: Iterable[str], principal: str | None = None) -> dict[str, str]:
        """The settings giving `child` the passwords of `principals` only (nothing when plaintext)."""
        if not self.secure or self._secrets is None:
            return {}
        every = read_secrets(self._secrets)
        path = self._dir / f"{child}.json"
        write_secrets(path, {name: every[name] for name in principals})
        return {"GOVX_SECURITY": "sasl", "GOVX_SECRETS_FILE": str(path), **({"GOVX_PRINCIPAL": principal}
                                                                              if principal else {})}

    def _receiver_nodes(self, index: int) -> list[Node]:
        """Secure: receiver `index`'s share of the consumer nodes (plaintext: it reads every inbox)."""
        return sorted(self.consumers)[index::self._receivers] if self.secure else []

    def receiver_groups(self, inboxes: list[str]) -> dict[str, list[str]]:
        """The receivers' consumer groups and the inboxes each must have read, for the drain."""
        if not self.secure:
            return {self._topics.receivers_group: inboxes}
        return {self._topics.node_group(node): [self._topics.inbox(node)] for node in self.consumers}

    def delete(self, transport: Transport) -> None:
        """Delete the namespace's topics, then (secure) its ACLs; the principals stay."""
        delete_namespace(transport, self._topics)
        if self.secure:
            admin = Admin(transport.bootstrap, security=self.security)
            try:
                prefixes = namespace_prefixes(self._catalogue.departments.values(), self._topics,
                                              self._topics.run_exchange_group)
                ensure_acls(admin, [], prefixes)
            except TransportError as exc:  # the run's verdict stands; what is left names a deleted namespace
                log.warning("the run's ACLs were not all removed (%s); those left name only the deleted "
                            "namespace's topics and groups", exc)
            finally:
                admin.close()

    def cleanup(self) -> None:
        """Remove the children's credential files."""
        shutil.rmtree(self._dir, ignore_errors=True)
