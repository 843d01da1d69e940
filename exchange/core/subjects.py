"""The exchange's schemas as a Confluent schema registry sees them: subjects, versions and ids.

Subjects follow Confluent's strategies so standard serializers find them with their defaults:

- TopicNameStrategy: ``<ns>.src.<resource>-value`` holds the resource's schema (version 1) —
  what a provider's ``AvroSerializer`` registers or looks up for the topic it writes;
- RecordNameStrategy: the record's full name, e.g. ``gov.health.DeathCertificate`` (the
  resource schema) and ``gov.health.view.DeathCertificate`` (every view schema the grants give
  that resource, versions in id order), so each id a delivery carries belongs to a subject.

Ids are the exchange's own (`codec.schema_id` of the Parsing Canonical Form), never assigned
here; a schema "matches" a subject's version when its canonical form is the same, so a copy
that differs in docs or custom attributes (``sensitivity``) is the same schema.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from fastavro import parse_schema
from fastavro.schema import to_parsing_canonical_form

from exchange.core.codec import RegisteredSchema
from exchange.core.rules import ResourceRules
from exchange.errors import SchemaError

VALUE_SUFFIX = "-value"


@dataclass(frozen=True)
class Subject:
    """One subject: its versions (1 = first) and the resource it describes."""

    name: str
    versions: tuple[RegisteredSchema, ...]
    resource: str
    providers: tuple[str, ...]
    source: bool  # the subject of a source topic: what a provider registers

    def version(self, number: int) -> RegisteredSchema | None:
        return self.versions[number - 1] if 1 <= number <= len(self.versions) else None

    def number_of(self, schema_id: int) -> int | None:
        """The version holding `schema_id`, or None."""
        return next((i for i, s in enumerate(self.versions, start=1) if s.id == schema_id), None)

    def matching(self, canonical: str) -> tuple[int, RegisteredSchema] | None:
        """The (version, schema) whose canonical form is `canonical`, or None."""
        return next(((i, s) for i, s in enumerate(self.versions, start=1) if s.canonical == canonical), None)


def subjects_of(all_rules: Iterable[ResourceRules]) -> dict[str, Subject]:
    """Every subject the exchange's compiled rules give, by name, in name order."""
    found: dict[str, Subject] = {}
    for rules in sorted(all_rules, key=lambda r: r.resource.id):
        resource, providers = rules.resource.id, rules.resource.providers
        for name in (rules.topic + VALUE_SUFFIX, rules.schema.name):
            found[name] = Subject(name, (rules.schema,), resource, providers, source=True)
        views = sorted({route.view.schema.id: route.view.schema for route in rules.routes
                        if route.view.schema is not None}.values(), key=lambda s: s.id)
        if views:
            name = views[0].name
            found[name] = Subject(name, tuple(views), resource, providers, source=False)
    return dict(sorted(found.items()))


def canonical_of(schema_text: str) -> str:
    """The Parsing Canonical Form of a schema sent as a JSON string; `SchemaError` when it is no schema."""
    try:
        schema = json.loads(schema_text)
        parse_schema(schema, named_schemas={})
        return str(to_parsing_canonical_form(schema))
    except Exception as exc:  # json and fastavro raise several types for a bad schema
        raise SchemaError(f"not a valid Avro schema: {type(exc).__name__}: {exc}") from exc


def schema_text(schema: RegisteredSchema) -> str:
    """The schema as the registry serves it: the exchange's full JSON, docs and attributes kept."""
    return json.dumps(dict(schema.schema), ensure_ascii=False, separators=(",", ":"))


def described(subject: Subject, version: int) -> Mapping[str, object]:
    """A subject's version as Confluent answers it: subject, version, id, schema."""
    schema = subject.versions[version - 1]
    return {"subject": subject.name, "version": version, "id": schema.id, "schema": schema_text(schema)}
