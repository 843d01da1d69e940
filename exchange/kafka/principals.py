"""`govx principals provision|rotate`: the principals and ACLs of one namespace on a secure cluster."""

from __future__ import annotations

from pathlib import Path

from exchange.core.access import access_rules, namespace_prefixes
from exchange.core.catalogue import Catalogue
from exchange.core.security import ClientSecurity
from exchange.core.topics import Topics
from exchange.errors import ConfigError
from exchange.kafka.access import AccessReport, provision_access, set_passwords
from exchange.kafka.admin import Admin
from exchange.kafka.transport import closed_after
from exchange.runtime.secrets import ensure_passwords, new_password, read_secrets, write_secrets


def provision_principals(bootstrap: str, admin: ClientSecurity, secrets: Path, catalogue: Catalogue,
                         topics: Topics, exchange_group: str) -> AccessReport:
    """One SCRAM user per department node plus the exchange and the API, and the namespace's ACLs;
    missing passwords are generated into `secrets` (mode 0600)."""
    rules = access_rules(catalogue.departments.values(), catalogue.resources.values(), topics, exchange_group)
    passwords = ensure_passwords(secrets, sorted({rule.principal for rule in rules}))
    prefixes = namespace_prefixes(catalogue.departments.values(), topics, exchange_group)
    with closed_after(Admin(bootstrap, security=admin)) as client:
        return provision_access(client, rules, passwords, prefixes)


def rotate_password(bootstrap: str, admin: ClientSecurity, secrets: Path, principal: str) -> None:
    """Give `principal` a new password: on the broker first, then in `secrets`. Connections open
    with the old password stay up; new connections need the new one."""
    passwords = read_secrets(secrets)
    if principal not in passwords:
        raise ConfigError(f"{principal} is not in {secrets}; run `govx principals provision` first")
    fresh = new_password()
    with closed_after(Admin(bootstrap, security=admin)) as client:
        set_passwords(client, {principal: fresh})
    write_secrets(secrets, {**passwords, principal: fresh})
