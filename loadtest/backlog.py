"""How far behind a run's consumer groups are: for the drain, and for each fault's time to recover.

A *mark* is the end offset of every partition a group reads, at one moment; a group has caught up
with a mark once it has committed at least that far everywhere. A cluster that does not answer
(a broker down, a coordinator moving: `NotCoordinatorError`) is not an error here — the answer is
"not known yet", and the caller asks again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from exchange.core.security import PLAINTEXT, ClientSecurity
from exchange.errors import TransportError
from exchange.kafka.admin import Admin, end_offsets, settled_end_offsets

log = logging.getLogger(__name__)
Partition = tuple[str, int]
Marks = dict[str, dict[Partition, int]]
Groups = Callable[[], Mapping[str, list[str]]]
Ends = Callable[[str, list[str], ClientSecurity], dict[Partition, int]]


def caught_up(marks: Marks, committed: Mapping[str, Mapping[Partition, int]]) -> bool:
    """Whether every group has committed at least to its mark on every non-empty partition."""
    return all(committed.get(group, {}).get(part, 0) >= end
               for group, ends in marks.items() for part, end in ends.items() if end > 0)


class Backlog:
    """Reads marks and committed offsets of a run's groups from the cluster."""

    def __init__(self, bootstrap: str, groups: Groups, *, security: ClientSecurity = PLAINTEXT,
                 ends: Ends = end_offsets, settled_ends: Ends = settled_end_offsets,
                 admin: Callable[..., Admin] = Admin) -> None:
        self._bootstrap, self._groups, self._ends, self._admin = bootstrap, groups, ends, admin
        self._settled_ends, self._security = settled_ends, security

    def marks(self, *, settled: bool = False) -> Marks | None:
        """The end offsets now, per group (`settled`: only once no transaction is open on them); None
        when the cluster did not answer or, `settled`, a transaction is still open."""
        ends = self._settled_ends if settled else self._ends
        try:
            return {group: ends(self._bootstrap, topics, self._security) for group, topics in self._groups().items()}
        except TransportError as exc:
            return self._unknown(exc)

    def reached(self, marks: Marks) -> bool | None:
        """Whether every group has caught up with `marks`; None when the cluster did not answer."""
        try:
            admin = self._admin(self._bootstrap, security=self._security)
        except TransportError as exc:
            return self._unknown(exc)
        try:
            return caught_up(marks, {group: admin.committed(group) for group in marks})
        except TransportError as exc:
            return self._unknown(exc)
        finally:
            admin.close()

    def drained(self) -> bool:
        """Whether the groups have caught up with everything there is now, no transaction still open on
        what they read (False when unknown): a frozen worker's open transaction hides what follows it."""
        marks = self.marks(settled=True)
        return marks is not None and bool(self.reached(marks))

    @staticmethod
    def _unknown(exc: TransportError) -> None:
        if not exc.retriable:
            raise exc
        log.info("the cluster did not answer, asking again: %s", exc)
        return None
