"""The catalogue data in `schemas/catalogue/`: departments, resources and default grants.

Loading checks everything against the schemas, the departments and the divisions, and refuses
an entry that names something unknown with a message saying which file, entry and name.
Grant templates become one grant per consumer node (`<template id>@<division>`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from exchange.core import regions
from exchange.core.civil_time import CHINA
from exchange.core.codec import SchemaRegistry
from exchange.core.directory import (
    Department,
    DirectoryEvent,
    Grant,
    GrantOrigin,
    Node,
    OpenAttribute,
    Resource,
    SharingType,
    UpdateCycle,
)
from exchange.core.directory_view import DirectoryView
from exchange.core.layout import Layout
from exchange.core.paths import schemas_dir
from exchange.core.regions import Level, RegionScope
from exchange.core.schemas import data_items, load_definitions, standalone
from exchange.core.views import ViewSpec, build_view
from exchange.errors import CatalogueError, GovxError

DEPARTMENT_KEYS = {"name", "full_name", "english", "levels"}
RESOURCE_KEYS = {"id", "code", "name", "english", "schema", "subject", "region_field", "providers",
                 "classification", "abstract", "format", "sharing", "conditions", "sharing_method", "open",
                 "update_cycle", "related", "publish_date"}
GRANT_KEYS = {"id", "resource", "department", "levels", "regions", "fields", "masks", "scope", "purpose",
              "valid_from", "valid_until"}


@dataclass(frozen=True)
class Catalogue:
    """The validated catalogue: what `govx directory seed` publishes to `gov.directory`."""

    departments: Mapping[str, Department]
    resources: Mapping[str, Resource]
    grants: tuple[Grant, ...]


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CatalogueError(f"{path.name}: cannot be read: {exc}") from exc


def _keys(where: str, entry: Mapping[str, Any], allowed: set[str], optional: frozenset[str] = frozenset()) -> None:
    unknown = set(entry) - allowed
    if unknown:
        raise CatalogueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    missing = allowed - optional - set(entry)
    if missing:
        raise CatalogueError(f"{where}: missing key(s) {', '.join(sorted(missing))}")


def _choice(where: str, kind: Any, value: Any) -> Any:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise CatalogueError(f"{where}: {value!r} is not one of {allowed}") from None


def load_departments(path: Path) -> dict[str, Department]:
    departments = {}
    for code, entry in _read(path).get("departments", {}).items():
        where = f"{path.name}: department {code!r}"
        _keys(where, entry, DEPARTMENT_KEYS)
        levels = tuple(_choice(where, Level, level) for level in entry["levels"])
        departments[code] = Department(code, entry["name"], entry["full_name"], entry["english"], levels)
    return departments


def _department_at(where: str, departments: Mapping[str, Department], code: str, division: str) -> None:
    if code not in departments:
        raise CatalogueError(f"{where}: unknown department {code!r}")
    if not regions.is_known(division):
        raise CatalogueError(f"{where}: unknown division {division!r}")
    if regions.level_of(division) not in departments[code].levels:
        raise CatalogueError(f"{where}: department {code!r} does not exist at {division} "
                             f"({regions.level_of(division).value} level)")


def _resource(where: str, entry: Mapping[str, Any], definitions: Mapping[str, Any],
              departments: Mapping[str, Department]) -> Resource:
    _keys(where, entry, RESOURCE_KEYS)
    owner_division = str(entry["code"])[:6]
    for provider in entry["providers"][:1]:
        _department_at(where, departments, provider, owner_division)
    for provider in entry["providers"][1:]:
        if provider not in departments:
            raise CatalogueError(f"{where}: unknown provider department {provider!r}")
    try:
        definition = standalone(entry["schema"], definitions)
        fields = {item.name for item in data_items(definition)}
    except GovxError as exc:
        raise CatalogueError(f"{where}: schema {entry['schema']!r}: {exc}") from exc
    for key in ("subject", "region_field"):
        if entry[key] not in fields:
            raise CatalogueError(f"{where}: {key} {entry[key]!r} is not a field of {entry['schema']}")
    if len(entry["classification"]) != 4:
        raise CatalogueError(f"{where}: classification needs 4 levels (类/项/目/细目)")
    return Resource(
        entry["id"], entry["code"], entry["name"], entry["english"], entry["schema"], entry["subject"],
        entry["region_field"], tuple(entry["providers"]), owner_division, tuple(entry["classification"]),
        entry["abstract"], entry["format"], _choice(where, SharingType, entry["sharing"]), entry["conditions"],
        entry["sharing_method"], _choice(where, OpenAttribute, entry["open"]),
        _choice(where, UpdateCycle, entry["update_cycle"]), tuple(entry["related"]),
        _as_date(where, entry["publish_date"]), definition,
    )


def _as_date(where: str, value: Any) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise CatalogueError(f"{where}: {value!r} is not a TOML date")
    return value


def load_resources(path: Path, definitions: Mapping[str, Any],
                   departments: Mapping[str, Department]) -> dict[str, Resource]:
    resources: dict[str, Resource] = {}
    for index, entry in enumerate(_read(path).get("resources", [])):
        where = f"{path.name}: resource {entry.get('id', index)!r}"
        resource = _resource(where, entry, definitions, departments)
        if resource.id in resources or resource.code in {r.code for r in resources.values()}:
            raise CatalogueError(f"{where}: id or code {resource.code!r} is used twice")
        resources[resource.id] = resource
    for resource in resources.values():
        unknown = set(resource.related) - set(resources)
        if unknown:
            raise CatalogueError(f"{path.name}: resource {resource.id!r}: unknown related {sorted(unknown)}")
    return resources


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min, CHINA)


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time.max, CHINA)


def _consumers(where: str, entry: Mapping[str, Any], departments: Mapping[str, Department]) -> list[Node]:
    if ("levels" in entry) == ("regions" in entry):
        raise CatalogueError(f"{where}: give exactly one of levels or regions")
    if "levels" in entry:
        levels = [_choice(where, Level, level) for level in entry["levels"]]
        divisions = [d.code for d in regions.nodes(levels)]
    else:
        divisions = list(entry["regions"])
    for division in divisions:
        _department_at(where, departments, entry["department"], division)
    return [Node(division, entry["department"]) for division in divisions]


def _check_view(where: str, resource: Resource, fields: Sequence[str], masks: Mapping[str, str]) -> None:
    registry = SchemaRegistry()
    schema = registry.register(resource.definition)
    order = schema.field_names()
    unknown = (set(fields) | set(masks)) - set(order) - {"*"}
    if unknown:
        raise CatalogueError(f"{where}: {resource.schema} has no field(s) {', '.join(sorted(unknown))}")
    if list(fields) != ["*"] and set(masks) - set(fields):
        raise CatalogueError(f"{where}: masked field(s) {sorted(set(masks) - set(fields))} are not granted")
    if list(fields) != ["*"] and resource.subject not in fields or masks.get(resource.subject) == "drop":
        raise CatalogueError(f"{where}: every grant must include the subject field {resource.subject}")
    try:
        build_view(schema, Layout(schema.name, schema.schema), ViewSpec.of(fields, masks, order), registry)
    except (GovxError, KeyError) as exc:
        raise CatalogueError(f"{where}: {exc}") from exc


def _grants(where: str, entry: Mapping[str, Any], resources: Mapping[str, Resource],
            departments: Mapping[str, Department]) -> list[Grant]:
    _keys(where, entry, GRANT_KEYS, optional=frozenset({"masks", "levels", "regions"}))
    resource = resources.get(entry["resource"])
    if resource is None:
        raise CatalogueError(f"{where}: unknown resource {entry['resource']!r}")
    if resource.sharing is SharingType.NONE:
        raise CatalogueError(f"{where}: {resource.id} is not shared (不予共享); it cannot be granted")
    masks = dict(entry.get("masks", {}))
    _check_view(where, resource, entry["fields"], masks)
    scope = _choice(where, RegionScope, entry["scope"])
    window = (start_of_day(_as_date(where, entry["valid_from"])), end_of_day(_as_date(where, entry["valid_until"])))
    return [Grant(f"{entry['id']}@{node.division}", node, resource.id, tuple(entry["fields"]),
                  tuple(sorted(masks.items())), scope, *window, entry["purpose"], GrantOrigin.CATALOGUE)
            for node in _consumers(where, entry, departments)]


def load_catalogue(folder: Path | None = None) -> Catalogue:
    """Load and validate the catalogue (default: the project's `schemas/` folder)."""
    root = folder or schemas_dir()
    departments = load_departments(root / "catalogue" / "departments.toml")
    try:
        definitions = load_definitions(root)
    except GovxError as exc:
        raise CatalogueError(f"schemas: {exc}") from exc
    resources = load_resources(root / "catalogue" / "resources.toml", definitions, departments)
    grants: list[Grant] = []
    for index, entry in enumerate(_read(root / "catalogue" / "grants.toml").get("grants", [])):
        grants.extend(_grants(f"grants.toml: grant {entry.get('id', index)!r}", entry, resources, departments))
    ids = [g.id for g in grants]
    if len(ids) != len(set(ids)):
        raise CatalogueError(f"grants.toml: grant ids repeat: {sorted({i for i in ids if ids.count(i) > 1})}")
    return Catalogue(departments, resources, tuple(grants))


def seed_events(catalogue: Catalogue, view: DirectoryView, at: datetime) -> list[DirectoryEvent]:
    """The directory events that bring `view` up to the catalogue.

    A resource is published when it is missing or its catalogue entry changed; a default grant
    only when the directory has never seen it, so seeding again never revives a revoked grant.
    """
    events = [DirectoryEvent("resource.published", at, resource)
              for resource in catalogue.resources.values() if view.resources.get(resource.id) != resource]
    events += [DirectoryEvent("grant.issued", at, grant) for grant in catalogue.grants if grant.id not in view.grants]
    return events
