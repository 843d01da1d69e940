"""The secrets file: every SCRAM password govx made, readable by its owner only (mode 0600).

JSON `{"principals": {"<user>": "<password>", ...}}`. Passwords are never logged or printed;
`govx principals provision` adds the missing ones, `govx principals rotate` replaces one.
A process's `ClientSecurity` comes from its settings: `GOVX_SECURITY=sasl`, `GOVX_PRINCIPAL`, and
`GOVX_SASL_PASSWORD` or the secrets file.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path

from exchange.core.security import ADMIN, PLAINTEXT, ClientSecurity
from exchange.errors import ConfigError
from exchange.runtime.settings import Settings


def new_password() -> str:
    return secrets.token_urlsafe(24)


def read_secrets(path: Path) -> dict[str, str]:
    """The passwords in `path` by principal; empty if there is no file yet."""
    try:
        found = json.loads(path.read_text(encoding="utf-8")).get("principals", {})
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, AttributeError) as exc:
        raise ConfigError(f"the secrets file {path} cannot be read: {exc}") from exc
    return {str(name): str(password) for name, password in found.items()}


def write_secrets(path: Path, passwords: Mapping[str, str]) -> None:
    """Write `passwords` to `path` atomically, created with mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump({"principals": dict(sorted(passwords.items()))}, out, indent=1)
    os.chmod(staging, 0o600)
    staging.replace(path)


def ensure_passwords(path: Path, principals: Iterable[str]) -> dict[str, str]:
    """Every password of `principals`, making (and saving) the missing ones; returns the whole file."""
    passwords = read_secrets(path)
    missing = [name for name in principals if name not in passwords]
    if missing or not path.exists():
        passwords.update({name: new_password() for name in missing})
        write_secrets(path, passwords)
    return passwords


def client_security(settings: Settings, principal: str | None = None) -> ClientSecurity:
    """How this process's clients authenticate: as `principal` (default GOVX_PRINCIPAL) under sasl."""
    if settings.security == "plaintext":
        return PLAINTEXT
    name = principal or settings.principal
    if name is None:
        raise ConfigError("GOVX_SECURITY=sasl needs GOVX_PRINCIPAL: the SCRAM user this process is")
    password = settings.sasl_password if principal is None or principal == settings.principal else None
    password = password or read_secrets(settings.secrets_path).get(name)
    if password is None:
        raise ConfigError(f"no password for {name}: set GOVX_SASL_PASSWORD, or run `govx principals provision` "
                          f"(secrets file {settings.secrets_path})")
    return ClientSecurity("SASL_PLAINTEXT", settings.sasl_mechanism, name, password)


def admin_security(settings: Settings) -> ClientSecurity:
    """The super user's security (provisioning, topic creation); PLAINTEXT without sasl."""
    return client_security(settings, ADMIN) if settings.security == "sasl" else PLAINTEXT
