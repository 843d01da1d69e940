"""Broker refusals: kafka-python's authorization and authentication errors as `AuthorizationError`.

Each names who was refused (the principal), what it tried (the operation) and on what (topic,
group, transactional id, cluster), so a department sees at once which grant it lacks.
"""

from __future__ import annotations

from kafka.errors import (
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    KafkaError,
    SaslAuthenticationFailedError,
    TopicAuthorizationFailedError,
    TransactionalIdAuthorizationFailedError,
)

from exchange.errors import AuthorizationError

REFUSALS: dict[type[KafkaError], str] = {
    TopicAuthorizationFailedError: "topic",
    GroupAuthorizationFailedError: "group",
    TransactionalIdAuthorizationFailedError: "transactional id",
    ClusterAuthorizationFailedError: "cluster",
}


def refused(exc: KafkaError, principal: str, operation: str, resource: str) -> AuthorizationError | None:
    """The `AuthorizationError` for `exc`, or None if `exc` is no refusal."""
    if isinstance(exc, SaslAuthenticationFailedError):
        return AuthorizationError(principal, "authenticate to", resource.removeprefix("topic "), str(exc))
    for kind, noun in REFUSALS.items():
        if isinstance(exc, kind):
            named = resource if resource.startswith(noun) else f"{noun} ({resource})"
            return AuthorizationError(principal, operation, named, f"{type(exc).__name__}: {exc}")
    return None
