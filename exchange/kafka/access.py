"""Apply the access rules of `exchange.core.access` to the cluster: SCRAM users and ACLs.

`provision_access` makes the cluster match the rules of one namespace: it creates the missing
SCRAM credentials and ACLs, leaves the existing ones alone, and removes govx's ACLs on the
namespace's resources that no rule asks for any more. Running it twice changes nothing the
second time; what it did is returned as counts (`AccessReport`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kafka.admin import (
    ACL,
    ACLFilter,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    ResourcePattern,
    ResourcePatternFilter,
    ResourceType,
    ScramMechanism,
    UserScramCredentialUpsertion,
)

from exchange.core.access import AccessRule
from exchange.core.security import SERVICE_PRINCIPALS, principal_node
from exchange.errors import TransportError
from exchange.kafka.admin import Admin
from exchange.kafka.client import translated

KINDS = {"topic": ResourceType.TOPIC, "group": ResourceType.GROUP,
         "transactional_id": ResourceType.TRANSACTIONAL_ID, "cluster": ResourceType.CLUSTER}
OPERATIONS = {"read": ACLOperation.READ, "write": ACLOperation.WRITE, "describe": ACLOperation.DESCRIBE,
              "create": ACLOperation.CREATE, "idempotent_write": ACLOperation.IDEMPOTENT_WRITE}


@dataclass(frozen=True)
class AccessReport:
    """What one provisioning changed."""

    users_created: int
    users_unchanged: int
    acls_created: int
    acls_unchanged: int
    acls_removed: int

    def describe(self) -> str:
        return (f"principals: {self.users_created} created, {self.users_unchanged} unchanged; ACLs: "
                f"{self.acls_created} created, {self.acls_unchanged} unchanged, {self.acls_removed} removed")


def to_acl(rule: AccessRule) -> ACL:
    pattern = ACLResourcePatternType.PREFIXED if rule.prefixed else ACLResourcePatternType.LITERAL
    return ACL(f"User:{rule.principal}", "*", OPERATIONS[rule.operation], ACLPermissionType.ALLOW,
               ResourcePattern(KINDS[rule.kind], rule.name, pattern))


def from_acl(acl: ACL) -> AccessRule | None:
    """The rule an ACL grants; None for ACLs govx does not make (DENY, hosts, other operations)."""
    kinds = {v: k for k, v in KINDS.items()}
    operations = {v: k for k, v in OPERATIONS.items()}
    pattern = acl.resource_pattern
    if acl.permission_type != ACLPermissionType.ALLOW or acl.host != "*" or acl.operation not in operations \
            or pattern.resource_type not in kinds or not str(acl.principal).startswith("User:"):
        return None
    return AccessRule(str(acl.principal).removeprefix("User:"), kinds[pattern.resource_type], pattern.resource_name,
                      operations[acl.operation], pattern.pattern_type == ACLResourcePatternType.PREFIXED)


def _managed(rule: AccessRule, prefixes: tuple[str, ...]) -> bool:
    """Whether govx owns `rule`: one of its principals, on a resource of the namespace."""
    ours = rule.principal in SERVICE_PRINCIPALS or principal_node(rule.principal) is not None
    return ours and rule.kind != "cluster" and rule.name.startswith(prefixes)


def current_rules(admin: Admin) -> set[AccessRule]:
    everything = ACLFilter(None, None, ACLOperation.ANY, ACLPermissionType.ANY,
                           ResourcePatternFilter(ResourceType.ANY, None, ACLResourcePatternType.ANY))
    with translated("listing ACLs", admin.security, "describe", "ACLs"):
        acls, error = admin.client.describe_acls(everything)
    if error is not None and error.errno != 0:
        raise TransportError(f"listing ACLs failed: {error}", retriable=False)
    return {rule for acl in acls if (rule := from_acl(acl)) is not None}


def ensure_users(admin: Admin, passwords: Mapping[str, str], principals: Iterable[str]) -> tuple[int, int]:
    """Create the SCRAM credentials that are missing; (created, unchanged)."""
    wanted = sorted(set(principals))
    with translated("listing SCRAM users", admin.security, "describe", "SCRAM credentials"):
        known = {user for user, info in admin.client.describe_user_scram_credentials().items() if not info["error"]}
    missing = [name for name in wanted if name not in known]
    set_passwords(admin, {name: passwords[name] for name in missing})
    return len(missing), len(wanted) - len(missing)


def set_passwords(admin: Admin, passwords: Mapping[str, str]) -> None:
    """Create or replace the SCRAM-SHA-512 credential of each user (in batches)."""
    names = sorted(passwords)
    for start in range(0, len(names), 200):
        batch = [UserScramCredentialUpsertion(name, ScramMechanism.SCRAM_SHA_512, passwords[name])
                 for name in names[start:start + 200]]
        with translated("setting SCRAM credentials", admin.security, "alter", "SCRAM credentials"):
            failed = {user: error for user, error in admin.client.alter_user_scram_credentials(batch).items() if error}
        if failed:
            raise TransportError(f"setting SCRAM credentials failed: {failed}", retriable=False)


def ensure_acls(admin: Admin, rules: Iterable[AccessRule], prefixes: tuple[str, ...]) -> tuple[int, int, int]:
    """Make govx's ACLs on resources starting with `prefixes` equal `rules`; (created, unchanged, removed)."""
    wanted = set(rules)
    present = {rule for rule in current_rules(admin) if _managed(rule, prefixes) or rule in wanted}
    missing, stale = sorted(wanted - present), sorted(present - wanted)
    for start in range(0, len(missing), 500):
        with translated("creating ACLs", admin.security, "create", "ACLs"):
            result = admin.client.create_acls([to_acl(rule) for rule in missing[start:start + 500]])
        if result.get("failed"):
            raise TransportError(f"creating ACLs failed: {result['failed'][:3]}", retriable=False)
    for start in range(0, len(stale), 100):  # one filter per ACL: a broker takes a big request for minutes
        with translated("removing ACLs", admin.security, "delete", "ACLs"):
            admin.client.delete_acls([to_acl(rule) for rule in stale[start:start + 100]])
    return len(missing), len(wanted) - len(missing), len(stale)


def provision_access(admin: Admin, rules: list[AccessRule], passwords: Mapping[str, str],
                     prefixes: tuple[str, ...]) -> AccessReport:
    """SCRAM users for every principal of `rules`, then exactly `rules` as ACLs."""
    created, unchanged = ensure_users(admin, passwords, {rule.principal for rule in rules})
    return AccessReport(created, unchanged, *ensure_acls(admin, rules, prefixes))
