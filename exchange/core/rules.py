"""Sharing rules, compiled from the directory whenever it changes.

Per resource: its schema, the identifier checks of its fields, and one `Route` per eligible
grant with a ready `View`. The per-event path does only what cannot be done earlier: a region
lookup (cached per division), a validity-window comparison, and projecting the views.

Eligibility follows docs/domain.md §1: a `none` resource never delivers, whatever a grant says; a
conditional resource delivers only on approved (or catalogue) grants, never on a bare
subscription; an unconditional one on any grant.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from exchange.core import masking, regions
from exchange.core.codec import RegisteredSchema, SchemaRegistry
from exchange.core.directory import Grant, GrantOrigin, Node, Resource, SharingType
from exchange.core.directory_view import DirectoryView
from exchange.core.identifiers import IdKind
from exchange.core.layout import Layout, Reader
from exchange.core.regions import RegionScope
from exchange.core.schemas import data_items, identifier_fields
from exchange.core.topics import Topics
from exchange.core.views import View, ViewSpec, build_view
from exchange.errors import GovxError


@dataclass(frozen=True, slots=True)
class Route:
    """One consumer's grant on a resource, ready to deliver."""

    grant: str
    consumer: Node
    topic: str
    scope: RegionScope
    view: View
    decision: str
    consumer_level: str
    valid_from_ms: int
    valid_until_ms: int
    headers: tuple[tuple[str, bytes], ...]
    audit: bytes
    subject_mask: Callable[[Any], str] | None

    def covers(self, region: str) -> bool:
        return self.scope.covers(self.consumer.division, region)

    def outside_window(self, at_ms: int) -> str | None:
        """Why the grant cannot deliver at `at_ms` (not_yet_valid, expired), or None when it can."""
        if at_ms < self.valid_from_ms:
            return "not_yet_valid"
        if at_ms > self.valid_until_ms:
            return "expired"
        return None


def _decision(view: View) -> str:
    return "full" if view.full else ("masked" if view.spec.masks else "projected")


def _audit_fragment(grant: Grant, view: View) -> bytes:
    """The static part of every usage record this route writes (JSON object members)."""
    static = {"resource": grant.resource, "consumer": grant.consumer.id, "grant": grant.id,
              "purpose": grant.purpose, "fields": list(view.spec.fields), "masks": dict(view.spec.masks),
              "delivery": _decision(view)}
    return json.dumps(static, ensure_ascii=False, sort_keys=True)[1:-1].encode("utf-8")


class Views:
    """One `View` per distinct spec of a resource's schema."""

    def __init__(self, schema: RegisteredSchema, layout: Layout, registry: SchemaRegistry) -> None:
        self.schema = schema
        self._layout = layout
        self._registry = registry
        self._views: dict[ViewSpec, View] = {}

    def of(self, grant: Grant) -> View:
        order = self.schema.field_names()
        unknown = (set(grant.fields) | {name for name, _ in grant.masks}) - set(order) - {"*"}
        if unknown:
            raise GovxError(f"grant {grant.id} names unknown field(s) {', '.join(sorted(unknown))}")
        spec = ViewSpec.of(grant.fields, dict(grant.masks), order)
        if spec not in self._views:
            self._views[spec] = build_view(self.schema, self._layout, spec, self._registry)
        return self._views[spec]


def route(grant: Grant, views: Views, subject: str, topics: Topics) -> Route:
    """Compile one grant; `GovxError` if it names fields or masks the schema cannot take."""
    view = views.of(grant)
    if subject not in view.spec.fields:
        raise GovxError(f"grant {grant.id} must include the subject field {subject}")
    extra = (("govx_grant", grant.id.encode()), ("govx_consumer", grant.consumer.id.encode()))
    return Route(
        grant.id, grant.consumer, topics.inbox(grant.consumer), grant.scope, view, _decision(view),
        regions.level_of(grant.consumer.division).value,
        int(grant.valid_from.timestamp() * 1000), int(grant.valid_until.timestamp() * 1000),
        extra, _audit_fragment(grant, view), _subject_mask(view, subject),
    )


def _subject_mask(view: View, subject: str) -> Callable[[Any], str] | None:
    """How a view masks the record's subject: its key and `ce_subject` must be masked alike."""
    policy = dict(view.spec.masks).get(subject)
    return None if policy is None else masking.policy(policy).mask


@dataclass(frozen=True)
class Check:
    """An identifier field the exchange validates on every event: where it is, how to read it."""

    field: str
    index: int
    read: Reader
    kind: IdKind


@dataclass(frozen=True)
class ResourceRules:
    """Everything the exchange needs to decide the events of one resource."""

    resource: Resource
    topic: str
    schema: RegisteredSchema
    layout: Layout
    subject: Check
    region: Check
    checks: tuple[Check, ...]
    routes: tuple[Route, ...]
    skips: tuple[tuple[str, int], ...]
    _by_region: dict[str, tuple[Route, ...]] = field(default_factory=dict, repr=False, compare=False)

    def route_of(self, consumer: Node, region: str, at_ms: int) -> Route | str:
        """The route through which `consumer` may see a record of `region` at `at_ms`, or the reason
        it may not — the per-consumer form of the exchange's decision, used by the record lookup."""
        mine = [route for route in self.routes if route.consumer == consumer]
        if not mine:
            return "not_shared" if self.resource.sharing is SharingType.NONE else "no_grant"
        in_scope = [route for route in mine if route.covers(region)]
        if not in_scope:
            return "out_of_scope"
        for route in in_scope:
            if route.outside_window(at_ms) is None:
                return route
        return in_scope[0].outside_window(at_ms) or "no_grant"

    def routes_for(self, region: str) -> tuple[Route, ...]:
        """The routes whose region scope covers `region` (cached per division code)."""
        found = self._by_region.get(region)
        if found is None:
            found = self._by_region[region] = tuple(r for r in self.routes if r.covers(region))
        return found


def _eligible(resource: Resource, grant: Grant) -> str | None:
    """Why `grant` can never deliver `resource`, or None when it can."""
    if resource.sharing is SharingType.NONE:
        return "not_shared"
    if resource.sharing is SharingType.CONDITIONAL and grant.origin is GrantOrigin.SUBSCRIPTION:
        return "not_approved"
    return None


def _check(layout: Layout, field_name: str, kind: IdKind) -> Check:
    reader = layout.reader(field_name)
    if reader is None:
        raise GovxError(f"{layout.name}.{field_name} must be a string to be checked as {kind.value}")
    return Check(field_name, layout.index[field_name], reader, kind)


def compile_resource(resource: Resource, grants: Iterable[Grant], registry: SchemaRegistry,
                     topics: Topics, layout: Layout | None = None) -> ResourceRules:
    """The rules of one resource from its grants that are not revoked."""
    schema = registry.register(resource.definition)
    layout = layout or Layout(schema.name, schema.schema)
    kinds = dict(identifier_fields(data_items(schema.schema)))
    checks = tuple(_check(layout, name, kind) for name, kind in kinds.items())
    subject = _check(layout, resource.subject, kinds.get(resource.subject, IdKind.CITIZEN_ID))
    region = _check(layout, resource.region_field, IdKind.DIVISION)
    routes: list[Route] = []
    skips: dict[str, int] = {}
    views = Views(schema, layout, registry)
    for grant in grants:
        reason = _eligible(resource, grant)
        if reason is None:
            try:
                routes.append(route(grant, views, resource.subject, topics))
                continue
            except (GovxError, KeyError):
                reason = "grant_invalid"
        skips[reason] = skips.get(reason, 0) + 1
    topic = topics.source(resource.id)
    return ResourceRules(resource, topic, schema, layout, subject, region, checks, tuple(routes),
                         tuple(sorted(skips.items())))


class Rules:
    """The compiled directory: rules per resource, recompiled when the directory changes."""

    def __init__(self, registry: SchemaRegistry, topics: Topics | None = None) -> None:
        self.registry = registry
        self.topics = topics or Topics()
        self._rules: dict[str, ResourceRules] = {}
        self._layouts: dict[int, Layout] = {}
        self.generation = 0

    def update(self, view: DirectoryView, resource_ids: Iterable[str]) -> None:
        """Recompile the rules of `resource_ids` from `view`."""
        for resource_id in resource_ids:
            resource = view.resources.get(resource_id)
            if resource is None:
                self._rules.pop(resource_id, None)
                continue
            grants = view.grants_on(resource_id)
            layout = self._layout(resource)
            self._rules[resource_id] = compile_resource(resource, grants, self.registry, self.topics, layout)
        self.generation += 1

    def _layout(self, resource: Resource) -> Layout:
        """The compiled layout of the resource's schema, compiled once per schema."""
        schema = self.registry.register(resource.definition)
        if schema.id not in self._layouts:
            self._layouts[schema.id] = Layout(schema.name, schema.schema)
        return self._layouts[schema.id]

    def get(self, resource_id: str) -> ResourceRules | None:
        return self._rules.get(resource_id)

    def all(self) -> list[ResourceRules]:
        return list(self._rules.values())
