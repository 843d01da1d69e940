"""The receiver's check catches a delivery that carries more than its grant, or an unmasked value."""

from __future__ import annotations

from consumers.receiver import violation
from exchange.core.catalogue import load_catalogue, seed_events
from exchange.core.directory_view import DirectoryView
from tests.support import NOW, death_certificate

CATALOGUE = load_catalogue()
VIEW = DirectoryView(CATALOGUE.departments)
VIEW.apply_all(seed_events(CATALOGUE, VIEW, NOW))
POLICE = VIEW.grant("death-to-gongan@440106")
SOCIAL = VIEW.grant("death-to-renshe@440106")


def granted(grant_id: str) -> dict[str, object]:
    grant = VIEW.grant(grant_id)
    record = death_certificate()
    fields = [f["name"] for f in CATALOGUE.resources["death_certificate"].definition["fields"]]
    kept = {name: record[name] for name in fields if name in grant.fields and grant.mask_of(name) != "drop"}
    return {name: ("masked*" if grant.mask_of(name) else value) for name, value in kept.items()}


def test_a_delivery_of_exactly_the_grant_conforms() -> None:
    assert violation(VIEW, POLICE.id, POLICE.consumer.id, granted(POLICE.id)) is None
    assert violation(VIEW, SOCIAL.id, SOCIAL.consumer.id, granted(SOCIAL.id)) is None


def test_a_field_beyond_the_grant_is_caught() -> None:
    leaking = {**granted(POLICE.id), "cause_of_death": "急性心肌梗死"}
    assert violation(VIEW, POLICE.id, POLICE.consumer.id, leaking) == "fields.beyond_grant"


def test_a_missing_field_is_caught() -> None:
    short = dict(granted(POLICE.id))
    short.pop("name")
    assert violation(VIEW, POLICE.id, POLICE.consumer.id, short) == "fields.missing"


def test_an_unmasked_value_is_caught() -> None:
    masked_field = next(name for name, _ in SOCIAL.masks)
    raw = {**granted(SOCIAL.id), masked_field: death_certificate()["birth_date"]}
    assert violation(VIEW, SOCIAL.id, SOCIAL.consumer.id, raw) == "mask.missing"


def test_a_delivery_under_someone_elses_grant_is_caught() -> None:
    assert violation(VIEW, POLICE.id, "440106/jiaoyu", granted(POLICE.id)) == "grant.unknown"
    assert violation(VIEW, "no-such-grant", POLICE.consumer.id, granted(POLICE.id)) == "grant.unknown"
