"""The Guangdong GB/T 2260 table, region prefix tests, exchange paths and region-scoped grants."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchange.core import regions
from exchange.core.regions import Level, RegionScope
from exchange.errors import GovxError, UnknownDivisionError

GUANGZHOU_COUNTIES = {
    "440103", "440104", "440105", "440106", "440111", "440112", "440113", "440114", "440115",
    "440117", "440118",
}  # fmt: skip
QINGYUAN_COUNTIES = {"441802", "441803", "441821", "441823", "441825", "441826", "441881", "441882"}

all_codes = st.sampled_from([d.code for d in regions.divisions()])


def test_the_table_has_the_province_21_cities_and_all_122_counties() -> None:
    codes = [d.code for d in regions.divisions()]
    assert codes[0] == regions.PROVINCE_CODE == "440000"
    assert len(regions.cities()) == 21
    assert [c.code for c in regions.cities()] == sorted(c.code for c in regions.cities())
    assert codes[1:22] == [c.code for c in regions.cities()]
    assert GUANGZHOU_COUNTIES | QINGYUAN_COUNTIES <= set(codes[22:])
    assert len(codes) == len(set(codes)) == 1 + 21 + 122


def test_every_city_but_the_two_level_ones_has_counties() -> None:
    counts = {city.code: len(regions.children(city.code)) for city in regions.cities()}
    assert {code for code, count in counts.items() if count == 0} == {"441900", "442000"}
    assert counts["440300"] == 9 and counts["440600"] == 5 and counts["440400"] == 3  # 深圳, 佛山, 珠海
    assert regions.division("440303").full_name == "广东省深圳市罗湖区"
    assert regions.division("440604").full_name == "广东省佛山市禅城区"
    assert regions.division("440402").full_name == "广东省珠海市香洲区"


def test_the_table_names_its_source_and_date() -> None:
    assert "民政部" in regions.SOURCE["current"] or "Civil Affairs" in regions.SOURCE["current"]
    assert regions.SOURCE["current_as_of"].year >= 2025


def test_former_codes_are_addresses_but_no_divisions() -> None:
    assert regions.former_name("440524") == "潮阳县"
    assert regions.is_guangdong_address("440524") and not regions.is_known("440524")
    assert regions.is_guangdong_address("440303") and regions.former_name("440303") is None
    assert not regions.is_guangdong_address("440399")


def test_levels_parents_and_names() -> None:
    assert regions.level_of("440000") is Level.PROVINCE
    assert regions.level_of("441800") is Level.CITY
    assert regions.level_of("441881") is Level.COUNTY
    assert regions.parent_of("440000") is None
    assert regions.parent_of("440300") == "440000"
    assert regions.parent_of("441825") == "441800"
    assert regions.division("441881").name == "英德市"
    assert regions.division("440106").full_name == "广东省广州市天河区"
    assert regions.division("441900").full_name == "广东省东莞市"
    assert regions.division("440000").full_name == "广东省"


def test_children_cities_and_nodes() -> None:
    assert {d.code for d in regions.children("440100")} == GUANGZHOU_COUNTIES
    assert {d.code for d in regions.children("441800")} == QINGYUAN_COUNTIES
    assert regions.children("441900") == ()
    assert regions.children("440106") == ()
    assert regions.city_of("440106") == "440100"
    assert regions.city_of("442000") == "442000"
    assert regions.city_of("440000") is None
    assert regions.nodes([Level.CITY]) == regions.cities()
    assert {d.level for d in regions.nodes([Level.PROVINCE, Level.COUNTY])} == {Level.PROVINCE, Level.COUNTY}
    assert len(regions.nodes(Level)) == len(regions.divisions())


def test_ancestors_nearest_first() -> None:
    assert regions.ancestors("441802") == ("441800", "440000")
    assert regions.ancestors("441900") == ("440000",)
    assert regions.ancestors("440000") == ()


def test_only_dongguan_and_zhongshan_are_two_level() -> None:
    assert [c.code for c in regions.cities() if regions.is_two_level(c.code)] == ["441900", "442000"]
    assert not regions.is_two_level("440106")


@pytest.mark.parametrize(
    ("code", "ancestor", "expected"),
    [
        ("440106", "440106", True),
        ("440106", "440100", True),
        ("440106", "440000", True),
        ("440100", "440000", True),
        ("441900", "441900", True),
        ("441900", "440000", True),
        ("440303", "440300", True),  # an unlisted county of 深圳 is still inside 深圳
        ("440106", "441800", False),
        ("441802", "440100", False),
        ("440100", "440106", False),
        ("440000", "440100", False),
        ("441900", "440100", False),
        ("440106", "441900", False),
        ("441900", "442000", False),
        ("110105", "440000", False),
        ("4401", "440000", False),
        ("44010x", "440100", False),
    ],
)
def test_is_within(code: str, ancestor: str, expected: bool) -> None:
    assert regions.is_within(code, ancestor) is expected


def test_is_within_needs_a_listed_ancestor() -> None:
    with pytest.raises(UnknownDivisionError, match="440399"):
        regions.is_within("440399", "440399")


@given(all_codes, all_codes)
def test_is_within_agrees_with_the_ancestor_chain(code: str, ancestor: str) -> None:
    assert regions.is_within(code, ancestor) == (code == ancestor or ancestor in regions.ancestors(code))


@pytest.mark.parametrize(
    ("src", "dst", "path"),
    [
        ("440106", "440103", ("440106", "440100", "440103")),
        ("440106", "441802", ("440106", "440100", "440000", "441800", "441802")),
        ("440106", "440000", ("440106", "440100", "440000")),
        ("440000", "441881", ("440000", "441800", "441881")),
        ("441802", "441800", ("441802", "441800")),
        ("441900", "440106", ("441900", "440000", "440100", "440106")),
        ("440106", "442000", ("440106", "440100", "440000", "442000")),
        ("441900", "442000", ("441900", "440000", "442000")),
        ("440100", "441800", ("440100", "440000", "441800")),
        ("440106", "440106", ("440106",)),
    ],
)
def test_exchange_path(src: str, dst: str, path: tuple[str, ...]) -> None:
    assert regions.exchange_path(src, dst) == path


@given(all_codes, all_codes)
def test_exchange_path_steps_along_tree_edges(src: str, dst: str) -> None:
    path = regions.exchange_path(src, dst)
    assert path[0] == src and path[-1] == dst
    assert len(set(path)) == len(path)
    for a, b in zip(path, path[1:], strict=False):
        assert regions.parent_of(a) == b or regions.parent_of(b) == a
    assert regions.exchange_path(dst, src) == tuple(reversed(path))


@given(all_codes, all_codes)
def test_exchange_between_different_cities_passes_the_province(src: str, dst: str) -> None:
    src_city, dst_city = regions.city_of(src), regions.city_of(dst)
    if src_city is not None and dst_city is not None and src_city != dst_city:
        path = regions.exchange_path(src, dst)
        assert regions.PROVINCE_CODE in path
        assert src_city in path and dst_city in path


@pytest.mark.parametrize(
    ("scope", "consumer", "subject", "expected"),
    [
        (RegionScope.OWN, "440106", "440106", True),
        (RegionScope.OWN, "440100", "440100", True),
        (RegionScope.OWN, "440100", "440106", False),
        (RegionScope.OWN, "440106", "440100", False),
        (RegionScope.OWN_AND_BELOW, "440100", "440100", True),
        (RegionScope.OWN_AND_BELOW, "440100", "440106", True),
        (RegionScope.OWN_AND_BELOW, "440000", "441802", True),
        (RegionScope.OWN_AND_BELOW, "440106", "440100", False),
        (RegionScope.OWN_AND_BELOW, "440100", "441802", False),
        (RegionScope.OWN_AND_BELOW, "441900", "440106", False),
        (RegionScope.PROVINCE, "440106", "441802", True),
        (RegionScope.PROVINCE, "441900", "440000", True),
        (RegionScope.PROVINCE, "440106", "110105", False),
        (RegionScope.PROVINCE, "440106", "", False),
    ],
)
def test_region_scope_covers(scope: RegionScope, consumer: str, subject: str, expected: bool) -> None:
    assert scope.covers(consumer, subject) is expected


@pytest.mark.parametrize("scope", list(RegionScope))
def test_region_scope_needs_a_listed_consumer(scope: RegionScope) -> None:
    with pytest.raises(UnknownDivisionError, match="449900"):
        scope.covers("449900", "440106")


@pytest.mark.parametrize(
    "call",
    [
        regions.division,
        regions.level_of,
        regions.parent_of,
        regions.ancestors,
        regions.children,
        regions.city_of,
        regions.is_two_level,
    ],
)
@pytest.mark.parametrize("code", ["441822", "440399", "440524", "110105", "", "abc"])
def test_unknown_code_raises_naming_it(call: Callable[[str], object], code: str) -> None:
    with pytest.raises(UnknownDivisionError, match=f"'{code}'") as raised:
        call(code)
    assert isinstance(raised.value, GovxError) and raised.value.code == code
    assert not regions.is_known(code)


def test_exchange_path_rejects_unknown_codes() -> None:
    with pytest.raises(UnknownDivisionError, match="441822"):
        regions.exchange_path("440106", "441822")
