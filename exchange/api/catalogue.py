"""Catalogue routes: list and search resources, one resource with its items and schema, schemas by id."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query

from exchange.api.deps import caller, state
from exchange.api.models import DataItemOut, ErrorOut, Page, ResourceDetailOut, ResourceOut, SchemaOut
from exchange.api.state import ApiState
from exchange.core.directory import Node, Resource, SharingType
from exchange.core.schemas import data_items
from exchange.errors import ApiError, UnknownSchemaError

router = APIRouter(prefix="/v1", tags=["catalogue"], dependencies=[Depends(caller)],
                   responses={401: {"model": ErrorOut}, 422: {"model": ErrorOut}})


def summary(resource: Resource) -> ResourceOut:
    return ResourceOut(id=resource.id, code=resource.code, name=resource.name, english=resource.english,
                       owner=resource.owner.id, providers=list(resource.providers), sharing=resource.sharing,
                       open=resource.open.value, update_cycle=resource.update_cycle.value,
                       classification=list(resource.classification), publish_date=resource.publish_date)


def _matches(resource: Resource, q: str | None, code: str | None, provider: str | None,
             sharing: SharingType | None, classification: str | None) -> bool:
    text = " ".join([resource.id, resource.code, resource.name, resource.english, resource.abstract]).lower()
    return ((q is None or q.lower() in text) and (code is None or resource.code == code)
            and (provider is None or provider in resource.providers)
            and (sharing is None or resource.sharing is sharing)
            and (classification is None or any(classification in level for level in resource.classification)))


@router.get("/resources", summary="List and search the shared directory")
def list_resources(
    q: str | None = Query(None, max_length=100, description="text in the name (中文 or English), id, code or abstract"),
    code: str | None = Query(None, max_length=64, description="exact resource code, e.g. 440000-WEIJIAN-0003"),
    provider: str | None = Query(None, max_length=32, description="a providing department, e.g. weijian"),
    sharing: SharingType | None = Query(None, description="unconditional | conditional | none"),
    classification: str | None = Query(None, max_length=50, description="a classification level, e.g. 人口"),
    page: int = Query(1, ge=1, le=10_000),
    size: int = Query(20, ge=1, le=100),
    current: ApiState = Depends(state),
) -> Page[ResourceOut]:
    with current.lock:
        found = sorted((r for r in current.view.resources.values()
                        if _matches(r, q, code, provider, sharing, classification)), key=lambda r: r.code)
    start = (page - 1) * size
    return Page[ResourceOut](items=[summary(r) for r in found[start:start + size]], total=len(found), page=page,
                             size=size)


@router.get("/resources/{resource_id}", summary="One resource: catalogue metadata, data items and schema",
            responses={404: {"model": ErrorOut}})
def get_resource(resource_id: str = Path(max_length=64), current: ApiState = Depends(state)) -> ResourceDetailOut:
    with current.lock:
        resource = current.view.resources.get(resource_id)
    if resource is None:
        raise ApiError(404, "not_found", f"no resource {resource_id!r} in the directory")
    with current.lock:
        schema = current.rules.registry.register(resource.definition)
    items = [DataItemOut(name=i.name, label=i.label, type=i.type, sensitivity=i.sensitivity.value,
                         identifier=i.identifier.value if i.identifier else None, optional=i.optional)
             for i in data_items(resource.definition)]
    return ResourceDetailOut(**summary(resource).model_dump(), abstract=resource.abstract, format=resource.format,
                             conditions=resource.conditions, sharing_method=resource.sharing_method,
                             related=list(resource.related), subject=resource.subject,
                             region_field=resource.region_field, items=items, schema_id=schema.id,
                             avro_schema=dict(resource.definition))


@router.get("/schemas/{schema_id}", summary="A schema by id: decode any source event or delivery",
            responses={404: {"model": ErrorOut}})
def get_schema(schema_id: int = Path(ge=0, lt=2**32), current: ApiState = Depends(state),
               who: Node = Depends(caller)) -> SchemaOut:
    try:
        schema = current.rules.registry.get(schema_id)
    except UnknownSchemaError:
        raise ApiError(404, "not_found", f"no schema with id {schema_id}") from None
    return SchemaOut(id=schema.id, name=schema.name, schema=dict(schema.schema))
