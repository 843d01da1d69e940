"""The catalogue loads, and every inconsistency is refused with the file, entry and name."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from exchange.core.catalogue import load_catalogue
from exchange.core.directory import SharingType
from exchange.core.paths import schemas_dir
from exchange.core.regions import Level, nodes
from exchange.core.schemas import Sensitivity, data_items
from exchange.errors import CatalogueError


def test_the_shipped_catalogue_is_consistent() -> None:
    catalogue = load_catalogue()
    assert len(catalogue.resources) >= 14
    assert {r.sharing for r in catalogue.resources.values()} == set(SharingType)
    for resource in catalogue.resources.values():
        items = data_items(resource.definition)
        assert all(" / " in item.label for item in items)
        assert resource.subject in {item.name for item in items}


def test_templates_become_one_grant_per_node() -> None:
    catalogue = load_catalogue()
    police = [g for g in catalogue.grants if g.id.startswith("death-to-gongan@")]
    expected = {d.code for d in nodes([Level.CITY, Level.COUNTY])}
    assert {g.consumer.division for g in police} == expected


def test_no_default_grant_shares_a_highly_sensitive_item() -> None:
    catalogue = load_catalogue()
    for grant in catalogue.grants:
        resource = catalogue.resources[grant.resource]
        l4 = {i.name for i in data_items(resource.definition) if i.sensitivity is Sensitivity.HIGHLY_SENSITIVE}
        granted = {i.name for i in data_items(resource.definition)} if grant.fields == ("*",) else set(grant.fields)
        masked = {name for name, _ in grant.masks}
        assert not l4 & (granted - masked), grant.id


Edit = Callable[[str], str]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "schemas"
    shutil.copytree(schemas_dir(), target)
    return target


def edit(folder: Path, name: str, change: Edit) -> None:
    path = folder / "catalogue" / name
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")


@pytest.mark.parametrize(("name", "change", "message"), [
    ("resources.toml",
     lambda t: t.replace('schema = "gov.health.DeathCertificate"', 'schema = "gov.health.Nothing"', 1),
     "resource 'death_certificate': schema 'gov.health.Nothing'"),
    ("resources.toml", lambda t: t.replace('subject = "citizen_id"', 'subject = "person_id"', 1), "person_id"),
    ("resources.toml", lambda t: t.replace('providers = ["weijian"]', 'providers = ["wizards"]', 1), "wizards"),
    ("resources.toml", lambda t: t.replace('sharing = "conditional"', 'sharing = "sometimes"', 1), "sometimes"),
    ("resources.toml", lambda t: t.replace('update_cycle = "real_time"', 'update_cycle = "real_time"\ncolour = 1', 1),
     "unknown key"),
    ("grants.toml", lambda t: t.replace('department = "gongan"', 'department = "police"', 1), "police"),
    ("grants.toml", lambda t: t.replace('"cause_of_death"', '"cause"', 1) if '"cause_of_death"' in t
     else t.replace('"certificate_no", "name"', '"certificate_no", "nmae"', 1), "nmae"),
    ("grants.toml", lambda t: t.replace('levels = ["city", "county"]', 'regions = ["449999"]', 1), "449999"),
    ("grants.toml", lambda t: t.replace('scope = "own_and_below"', 'scope = "galaxy"', 1), "galaxy"),
    ("grants.toml", lambda t: t.replace('resource = "death_certificate"', 'resource = "infectious_disease_report"', 1),
     "not shared"),
    ("departments.toml", lambda t: t.replace('levels = ["province", "city", "county"]', 'levels = ["village"]', 1),
     "village"),
])
def test_an_inconsistent_entry_is_refused_naming_it(folder: Path, name: str, change: Edit, message: str) -> None:
    edit(folder, name, change)
    with pytest.raises(CatalogueError, match=message) as caught:
        load_catalogue(folder)
    assert name in str(caught.value) or "schema" in str(caught.value)


def test_a_masked_field_must_be_granted(folder: Path) -> None:
    edit(folder, "grants.toml", lambda t: t.replace('id = "death-to-gongan"', 'id = "death-to-gongan"\nmasks = '
                                                    '{ cause_of_death = "drop" }', 1))
    with pytest.raises(CatalogueError, match="not granted"):
        load_catalogue(folder)


def test_a_schema_file_must_be_named_after_its_type(folder: Path) -> None:
    (folder / "gov.common.Sex.avsc").rename(folder / "gov.common.Gender.avsc")
    with pytest.raises(CatalogueError, match="gov.common.Sex.avsc"):
        load_catalogue(folder)
