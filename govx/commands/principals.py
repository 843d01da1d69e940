"""`govx principals provision|rotate`: who may do what on a secure cluster (`govx kafka up --secure`)."""

from __future__ import annotations

import typer
from rich.console import Console

from exchange.core.catalogue import load_catalogue
from exchange.core.directory import Node
from exchange.core.security import node_principal
from exchange.core.topics import Topics
from exchange.errors import ConfigError
from exchange.kafka.principals import provision_principals, rotate_password
from exchange.runtime.secrets import admin_security
from exchange.runtime.settings import Settings, load_settings

app = typer.Typer(help="SCRAM principals and ACLs of the secure cluster.", no_args_is_help=True)
console = Console()


def _secure_settings() -> Settings:
    settings = load_settings()
    if settings.security != "sasl":
        raise ConfigError("principals live on a secure cluster: set GOVX_SECURITY=sasl (`govx kafka up --secure`)")
    return settings


@app.command()
def provision() -> int:
    """Create a SCRAM principal per department node (plus the exchange's and the API's) and the ACLs
    the catalogue implies for the namespace; passwords go to the secrets file (mode 0600), never
    to the screen. Idempotent: prints what it created, left unchanged and removed."""
    settings = _secure_settings()
    report = provision_principals(settings.bootstrap, admin_security(settings), settings.secrets_path,
                                  load_catalogue(), Topics(settings.topic_namespace), settings.exchange_group)
    console.print(f"{report.describe()} (namespace {settings.topic_namespace}; secrets in {settings.secrets_path})")
    return 0


@app.command()
def rotate(who: str = typer.Argument(..., help="a department node (440106/gongan) or a principal name")) -> int:
    """Give one principal a new password, on the broker and in the secrets file. Its running
    processes keep their connections; restart them to pick the new password up."""
    settings = _secure_settings()
    principal = node_principal(Node.parse(who)) if "/" in who else who
    rotate_password(settings.bootstrap, admin_security(settings), settings.secrets_path, principal)
    console.print(f"rotated the password of {principal} (secrets in {settings.secrets_path})")
    return 0
