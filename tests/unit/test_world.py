"""The simulated world of a node: valid records for every resource, chains whose keys line up,
determinism from the seed, and residents registered where their node is."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exchange.core import identifiers, regions
from exchange.core.catalogue import Catalogue, load_catalogue
from exchange.core.codec import RegisteredSchema, SchemaRegistry, decode, encode
from exchange.core.identifiers import IdKind
from exchange.core.regions import Level
from exchange.core.schemas import data_items, identifier_fields
from exchange.errors import UnknownDivisionError
from producers.people import home_regions, old_code
from producers.world import Draft, World

CHINA = timezone(timedelta(hours=8))
ORIGIN = datetime(2025, 6, 15, 9, 0, tzinfo=CHINA)
NODES = ("440106", "440100", "441900", "440000")  # county, city with counties, two-level city, province
CATALOGUE = load_catalogue()


def world(division: str = "440106", seed: int = 7, pool_size: int = 300) -> World:
    return World(division, CATALOGUE, seed=seed, clock_origin=ORIGIN, pool_size=pool_size)


def every_kind(w: World, rounds: int = 3, offset: float = 60.0) -> Iterator[list[Draft]]:
    """`rounds` chains of every kind every department here originates."""
    for i in range(rounds):
        for department in w.departments():
            for kind in w.chain_kinds(department):
                yield w.chain_of(kind, offset + i, department=department)


@pytest.fixture(scope="module")
def registry() -> tuple[SchemaRegistry, dict[str, RegisteredSchema]]:
    reg = SchemaRegistry()
    return reg, {rid: reg.register(r.definition) for rid, r in CATALOGUE.resources.items()}


@pytest.fixture(scope="module", params=NODES)
def sampled(request: pytest.FixtureRequest) -> list[list[Draft]]:
    return list(every_kind(world(request.param, seed=11)))


def drafts(chains: list[list[Draft]]) -> Iterator[Draft]:
    return (d for chain in chains for d in chain)


def assert_valid(draft: Draft, catalogue: Catalogue, schemas: dict[str, RegisteredSchema],
                 reg: SchemaRegistry) -> None:
    """The draft's record fits its schema, its identifiers validate, key and region line up."""
    resource = catalogue.resources[draft.resource]
    _, back = decode(reg, encode(schemas[draft.resource], draft.record))
    assert back == draft.record
    for name, kind in identifier_fields(data_items(resource.definition)):
        value = draft.record[name]
        assert value is None or identifiers.check(value, kind).valid, (draft.resource, name, value)
    assert draft.key == draft.record[resource.subject]
    assert draft.region == draft.record[resource.region_field]
    assert regions.is_known(draft.region)
    assert draft.department in resource.providers
    assert regions.level_of(draft.region) is not Level.PROVINCE


def test_every_resource_is_produced(sampled: list[list[Draft]]) -> None:
    assert {d.resource for d in drafts(sampled)} == set(CATALOGUE.resources)


def test_records_fit_their_schemas_and_identifiers_validate(
    sampled: list[list[Draft]], registry: tuple[SchemaRegistry, dict[str, RegisteredSchema]]
) -> None:
    reg, schemas = registry
    for draft in drafts(sampled):
        assert_valid(draft, CATALOGUE, schemas, reg)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32), node=st.sampled_from(NODES), offset=st.floats(0, 86_400 * 30))
def test_any_seed_gives_valid_chains(seed: int, node: str, offset: float) -> None:
    reg = SchemaRegistry()
    schemas = {rid: reg.register(r.definition) for rid, r in CATALOGUE.resources.items()}
    w = world(node, seed=seed, pool_size=40)
    for i in range(60):
        for draft in w.chain(w.departments()[i % len(w.departments())], offset + i):
            assert_valid(draft, CATALOGUE, schemas, reg)


def test_departments_exist_at_the_node_and_provide_what_they_publish(sampled: list[list[Draft]]) -> None:
    for chain in sampled:
        for draft in chain:
            assert draft.department in CATALOGUE.resources[draft.resource].providers
    for node in NODES:
        level = regions.level_of(node)
        w = world(node, pool_size=20)
        assert all(level in CATALOGUE.departments[d].levels for d in w.departments())


def test_times_follow_the_clock_origin_and_follow_ups_come_later(sampled: list[list[Draft]]) -> None:
    for chain in sampled:
        assert chain[0].after_s == 0.0
        delays = [d.after_s for d in chain]
        assert delays == sorted(delays) and len(set(delays)) == len(delays)
        assert all(0 < d.after_s <= 3 for d in chain[1:])
        root_time = chain[0].record["updated_at"]
        assert ORIGIN + timedelta(seconds=60) <= root_time < ORIGIN + timedelta(seconds=60 + 3)
        for draft in chain:
            assert draft.record["updated_at"] == root_time + timedelta(seconds=draft.after_s)


def test_a_death_is_cancelled_by_the_police_under_the_same_key_and_the_dead_never_return() -> None:
    w = world()
    dead = set()
    for i in range(40):
        certificate, cancellation = w.chain_of("death", float(i))
        assert (certificate.resource, certificate.department) == ("death_certificate", "weijian")
        assert (cancellation.resource, cancellation.department) == ("household_change", "gongan")
        assert cancellation.key == certificate.key == certificate.record["citizen_id"]
        assert cancellation.record["change_type"] == "DEATH_CANCELLATION"
        assert cancellation.record["death_certificate_no"] == certificate.record["certificate_no"]
        assert certificate.record["death_time"] < certificate.record["issued_at"]
        dead.add(certificate.key)
    assert not dead & {p.citizen_id for p in w.residents()}
    assert not dead & {p.head_id for p in w.residents()}
    later = [d for chain in every_kind(w, rounds=20) for d in chain]
    mentioned = {value for d in later for name, value in d.record.items() if name.endswith("citizen_id")}
    assert not dead & mentioned
    assert len(w.residents()) >= 300


def test_a_birth_registers_and_insures_the_newborn_under_one_new_id() -> None:
    w = world()
    for i in range(30):
        certificate, registration, medical, social = w.chain_of("birth", float(i))
        assert [d.department for d in (certificate, registration, medical, social)] == [
            "weijian", "gongan", "yibao", "renshe"]
        assert certificate.key == certificate.record["certificate_no"]
        newborn = registration.key
        assert medical.key == social.key == newborn
        assert registration.record["change_type"] == "BIRTH_REGISTRATION"
        assert registration.record["birth_certificate_no"] == certificate.key
        born = certificate.record["birth_time"].astimezone(CHINA).date()
        assert identifiers.citizen_id_birth_date(newborn) == born == registration.record["birth_date"]
        assert identifiers.citizen_id_is_female(newborn) == (certificate.record["sex"] == "FEMALE")
        assert newborn[:6] == certificate.region == registration.region == medical.region == social.region
        mother = certificate.record["mother_citizen_id"]
        assert identifiers.citizen_id_is_female(mother)
        assert medical.record["guardian_citizen_id"] == mother
        assert social.record["employer_uscc"] is None
        assert newborn in {p.citizen_id for p in w.residents()}


def test_an_enterprise_is_licensed_and_registered_for_tax_under_its_uscc() -> None:
    w = world()
    registration, licence, tax = w.chain_of("enterprise", 1.0)
    assert [d.resource for d in (registration, licence, tax)] == [
        "enterprise_registration", "business_licence", "tax_registration"]
    assert [d.department for d in (registration, licence, tax)] == ["scjg", "scjg", "shuiwu"]
    assert registration.key == licence.key == tax.key == registration.record["uscc"]
    assert registration.record["legal_representative_citizen_id"] in {p.citizen_id for p in w.residents()}


def test_a_deregistered_enterprise_is_annulled_struck_off_and_gone() -> None:
    w = world()
    gone = set()
    for i in range(20):
        deregistration, licence, tax = w.chain_of("enterprise_deregistration", float(i))
        assert deregistration.key == licence.key == tax.key
        assert (licence.record["licence_status"], licence.action) == ("ANNULLED", "updated")
        assert (tax.record["status"], tax.department) == ("DEREGISTERED", "shuiwu")
        gone.add(deregistration.key)
    later = [w.chain(department, 100.0) for department in ("scjg", "shuiwu", "zrzy", "jiaotong") * 50]
    assert not gone & {d.key for chain in later for d in chain}


def test_a_marriage_joins_a_man_and_a_woman_at_one_partys_registry() -> None:
    w = world()
    for i in range(30):
        (draft,) = w.chain_of("marriage", float(i))
        record = draft.record
        assert not identifiers.citizen_id_is_female(record["male_citizen_id"])
        assert identifiers.citizen_id_is_female(record["female_citizen_id"])
        assert draft.region in (record["male_household_region"], record["female_household_region"])
        assert draft.key.startswith(("J", "L")) and draft.region in draft.key
        if record["registration_type"] == "MARRIAGE":
            assert record["registration_date"] - record["female_birth_date"] >= timedelta(days=20 * 365)
            assert record["registration_date"] - record["male_birth_date"] >= timedelta(days=22 * 365)


def test_same_seed_same_chains_and_another_seed_differs() -> None:
    def run(w: World) -> list[list[Draft]]:
        departments = w.departments()
        return [w.chain(departments[i % len(departments)], i * 0.5) for i in range(300)]

    first, second, other = run(world(seed=3)), run(world(seed=3)), run(world(seed=4))
    assert first == second
    assert first != other


def test_consumer_departments_originate_nothing() -> None:
    w = world("440100")
    for department in ("xinyong", "jiaoyu", "zsj"):
        assert w.chain_kinds(department) == ()
        assert department not in w.departments()
        with pytest.raises(ValueError, match="originates no chains"):
            w.chain(department, 0.0)
    with pytest.raises(ValueError):
        w.chain_of("birth", 0.0, department="gongan")
    assert set(w.departments()) == {"weijian", "gongan", "scjg", "shuiwu", "zrzy", "jiaotong", "renshe", "yibao",
                                    "minzheng"}


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(UnknownDivisionError):
        World("449999", CATALOGUE, seed=1, clock_origin=ORIGIN)
    with pytest.raises(ValueError, match="timezone"):
        World("440106", CATALOGUE, seed=1, clock_origin=datetime(2025, 6, 15))


@pytest.mark.parametrize("node", NODES)
def test_residents_are_registered_at_the_node_with_consistent_ids(node: str) -> None:
    people = world(node, seed=21).residents()
    today = ORIGIN.date()
    assert len(people) == 300
    assert {p.region for p in people} <= set(home_regions(node))
    for person in people:
        check = identifiers.check_citizen_id(person.citizen_id)
        assert check.valid, check.detail
        assert identifiers.citizen_id_birth_date(person.citizen_id) == person.birth
        assert identifiers.citizen_id_is_female(person.citizen_id) == person.female
        assert 0 <= person.age(today) <= 100
        old = old_code(person.region)
        assert person.citizen_id[:6] == person.region or (old and person.citizen_id[:6] == old[0])


def test_the_people_of_a_county_carry_its_code() -> None:
    assert all(p.citizen_id.startswith("440106") for p in world("440106", seed=5).residents())  # 天河: no old code
    people = world("440104", seed=5, pool_size=1000).residents()  # 越秀 absorbed 东山 (440102) in 2005
    old = [p for p in people if not p.citizen_id.startswith("440104")]
    assert all(p.citizen_id.startswith("440102") and p.birth < date(2005, 1, 1) for p in old)
    assert 0 < len(old) <= 0.1 * len(people)


def test_a_city_node_spreads_its_people_over_its_counties() -> None:
    assert {p.region for p in world("440100").residents()} == {d.code for d in regions.children("440100")}
    assert {p.region for p in world("441900").residents()} == {"441900"}
    province = {p.region for p in world("440000").residents()}
    assert any(regions.level_of(code) is Level.COUNTY for code in province)
    assert len({regions.city_of(code) for code in province}) > 10  # spread over the province's cities
    assert all(regions.level_of(code) is Level.COUNTY or regions.is_two_level(code) for code in province)


def test_the_pool_keeps_its_size_and_age_mix_over_a_long_run() -> None:
    w = world(pool_size=200)
    today = ORIGIN.date()
    elderly_before = sum(1 for p in w.residents() if p.age(today) >= 60)
    departments = w.departments()
    for i in range(5000):
        w.chain(departments[i % len(departments)], i * 0.01)
    people = w.residents()
    assert 200 <= len(people) <= 200 + 32
    assert abs(sum(1 for p in people if p.age(today) >= 60) - elderly_before) <= 10
    ids = [p.citizen_id for p in people]
    assert len(ids) == len(set(ids))


def test_identifier_fields_of_the_schemas_are_the_ones_checked() -> None:
    """Guards the assumption in `assert_valid`: every identifier field is a citizen ID, USCC or division."""
    kinds = {kind for r in CATALOGUE.resources.values() for _, kind in identifier_fields(data_items(r.definition))}
    assert kinds == {IdKind.CITIZEN_ID, IdKind.USCC, IdKind.DIVISION}
