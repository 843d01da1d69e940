"""`govx directory seed|show`: the shared directory on the cluster."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from exchange.core.catalogue import load_catalogue
from exchange.core.topics import Topics
from exchange.kafka.provision import provision, read_directory
from exchange.kafka.transport import kafka_transport
from exchange.runtime.secrets import admin_security, client_security
from exchange.runtime.settings import load_settings

app = typer.Typer(help="The shared directory (共享目录) on the cluster.", no_args_is_help=True)
console = Console()


@app.command()
def seed() -> int:
    """Create the exchange's topics and publish the catalogue entries and default grants the
    directory lacks. Idempotent: a grant revoked since is never revived."""
    settings = load_settings()
    transport = kafka_transport(settings.bootstrap, admin_security(settings))
    done = provision(transport, Topics(settings.topic_namespace), load_catalogue(), partitions=settings.partitions)
    console.print(f"created {len(done.topics_created)} topic(s); published {done.directory_events} directory event(s)")
    return 0


@app.command()
def show() -> int:
    """List the resources in the directory with their sharing type and active grants."""
    settings = load_settings()
    security = client_security(settings) if settings.principal else admin_security(settings)
    transport = kafka_transport(settings.bootstrap, security)
    view = read_directory(transport, Topics(settings.topic_namespace), load_catalogue())
    table = Table("resource", "名称", "sharing", "grants", title=f"directory ({view.events_applied} events)")
    for resource in sorted(view.resources.values(), key=lambda r: r.id):
        table.add_row(resource.id, resource.name, resource.sharing.value, str(len(view.grants_on(resource.id))))
    console.print(table)
    return 0
