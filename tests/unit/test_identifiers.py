"""Citizen IDs (GB 11643), unified social credit codes (GB 32100) and division codes.

Check characters are compared against a reference written here from the ISO 7064 definitions
(weights 2^k mod 11 and 3^k mod 31), not against tables shared with the implementation.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from exchange.core import identifiers, regions
from exchange.core.civil_time import today_in_china
from exchange.core.identifiers import IdKind, Verdict, check, check_citizen_id, check_division, check_uscc

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
PROVINCES = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82",
]  # fmt: skip
WORKED_EXAMPLE = "11010519491231002X"  # GB 11643's own example
# Published codes: 华为技术有限公司, 深圳市腾讯计算机系统有限公司, 阿里巴巴(中国)有限公司.
REAL_USCCS = ["914403001922038216", "9144030071526726XG", "91330100799655058B"]


def reference_citizen_check(first17: str) -> str:
    total = sum(int(ch) * pow(2, 17 - i, 11) for i, ch in enumerate(first17))
    c = (12 - total % 11) % 11
    return "X" if c == 10 else str(c)


def reference_uscc_check(first17: str) -> str:
    total = sum(ALPHABET.index(ch) * pow(3, i, 31) for i, ch in enumerate(first17))
    return ALPHABET[(31 - total % 31) % 31]


def with_check(first17: str) -> str:
    """A citizen ID whose check character is right, whatever else is wrong with it."""
    return first17 + reference_citizen_check(first17)


regions_6 = st.builds(
    lambda province, rest: province + rest,
    st.sampled_from(PROVINCES),
    st.text("0123456789", min_size=4, max_size=4),
)
GUANGDONG_DIVISIONS = [d.code for d in regions.divisions()]
FORMER_GUANGDONG = ["440524", "441822", "440102", "441723"]  # 潮阳县, 清远 old code, 东山区, 阳东县
# A citizen ID's address: any province's code outside Guangdong, a current or former one inside it.
address_codes = st.one_of(
    regions_6.filter(lambda code: not code.startswith("44")),
    st.sampled_from(GUANGDONG_DIVISIONS + FORMER_GUANGDONG),
)
birth_dates = st.dates(min_value=date(1880, 1, 1), max_value=today_in_china())
citizen_ids = st.builds(identifiers.make_citizen_id, address_codes, birth_dates, st.integers(0, 999))
usccs = st.builds(
    identifiers.make_uscc,
    st.sampled_from(sorted(identifiers.USCC_AUTHORITIES)),
    st.sampled_from(ALPHABET),
    regions_6,
    st.text(ALPHABET, min_size=9, max_size=9),
)


# --- the checksums themselves -----------------------------------------------------------------


def test_published_weights_are_the_iso_7064_powers() -> None:
    assert [pow(2, 17 - i, 11) for i in range(17)] == [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    assert [pow(3, i, 31) for i in range(17)] == [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ]  # fmt: skip


def test_adjacent_weights_differ_so_transpositions_are_detectable() -> None:
    """Moduli 11 and 31 are prime: a swap of different characters at i, i+1 changes the weighted
    sum by (a − b)(wᵢ − wᵢ₊₁), non-zero when the weights differ; the check character weighs 1."""
    cid = [pow(2, 17 - i, 11) for i in range(18)]
    uscc = [pow(3, i, 31) for i in range(17)] + [1]
    assert all((cid[i] - cid[i + 1]) % 11 for i in range(17))
    assert all((uscc[i] - uscc[i + 1]) % 31 for i in range(17))


# --- citizen ID -------------------------------------------------------------------------------


def test_worked_example_is_valid() -> None:
    verdict = check_citizen_id(WORKED_EXAMPLE)
    assert verdict == Verdict(IdKind.CITIZEN_ID, WORKED_EXAMPLE, True, "ok", verdict.detail)
    assert "1949-12-31" in verdict.detail and "female" in verdict.detail
    assert identifiers.citizen_id_check_char(WORKED_EXAMPLE[:17]) == "X"
    assert identifiers.citizen_id_birth_date(WORKED_EXAMPLE) == date(1949, 12, 31)
    assert identifiers.citizen_id_is_female(WORKED_EXAMPLE)


def test_old_address_codes_are_valid() -> None:
    value = with_check("44182219800101001")  # 441822 no longer exists
    assert check_citizen_id(value).valid


def test_a_wrong_check_character_says_what_it_should_be() -> None:
    verdict = check_citizen_id("110105194912310021")
    assert (verdict.valid, verdict.reason) == (False, "checksum")
    assert verdict.detail == "check character is 1 but the first 17 characters give X"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "length"),
        ("11010519491231002", "length"),
        ("11010519491231002X0", "length"),
        ("11010519491231002x", "charset"),
        ("1101051949123100X2", "charset"),
        ("1101051949123100AX", "charset"),
        ("11010519491231002 ", "charset"),
        ("１1010519491231002X", "charset"),  # a full-width digit
        ("٣1010519491231002X", "charset"),  # an Arabic-Indic digit (str.isdigit says True)
        (with_check("99010519491231002"), "region"),
        (with_check("00010519491231002"), "region"),
        (with_check("10010519491231002"), "region"),
        (with_check("11010519490230002"), "date"),
        (with_check("11010519491301002"), "date"),
        (with_check("11010519491200002"), "date"),
        (with_check("11010519000229002"), "date"),  # 1900 is not a leap year
        (with_check("11010518791231002"), "date"),  # before 1880-01-01
        (with_check("44039919900101002"), "region"),  # no current or former 深圳 division
        (with_check("44990119900101002"), "region"),
        (with_check("11010520010229002"), "date"),
        (with_check("11010500000101002"), "date"),
        ("110105194912310021", "checksum"),
    ],
)
def test_known_bad_citizen_ids(value: str, reason: str) -> None:
    verdict = check_citizen_id(value)
    assert (verdict.kind, verdict.valid, verdict.reason) == (IdKind.CITIZEN_ID, False, reason)
    assert verdict.detail


def test_checks_run_in_order_length_charset_region_date_checksum() -> None:
    assert check_citizen_id("9901051949023000Yx").reason == "charset"
    assert check_citizen_id("990105194902300021").reason == "region"
    assert check_citizen_id("110105194902300021").reason == "date"


def test_leap_days_and_month_ends() -> None:
    assert check_citizen_id(with_check("11010520000229002")).valid
    assert check_citizen_id(with_check("11010519960229002")).valid
    assert check_citizen_id(with_check("11010519000101002")).valid
    assert check_citizen_id(with_check("11010519990431002")).reason == "date"


def test_birth_date_must_not_be_in_the_future() -> None:
    today = date(2024, 6, 30)
    assert check_citizen_id(with_check("44010620240630001"), today=today).valid
    verdict = check_citizen_id(with_check("44010620240701001"), today=today)
    assert verdict.reason == "date" and "2024-07-01" in verdict.detail


def test_birth_date_defaults_to_the_real_today_in_china() -> None:
    today = today_in_china()  # not the machine's date: from 16:00 UTC China is a day ahead
    tomorrow = today + timedelta(days=1)
    assert check_citizen_id(with_check(f"440106{tomorrow:%Y%m%d}001")).reason == "date"
    assert check_citizen_id(with_check(f"440106{today:%Y%m%d}001")).valid


def test_make_citizen_id_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="sequence"):
        identifiers.make_citizen_id("440106", date(1990, 1, 1), 1000)
    with pytest.raises(ValueError, match="sequence"):
        identifiers.make_citizen_id("440106", date(1990, 1, 1), -1)
    with pytest.raises(ValueError, match="birth"):
        identifiers.make_citizen_id("440106", date(1879, 12, 31), 1)
    with pytest.raises(ValueError, match="birth"):
        identifiers.make_citizen_id("440106", today_in_china() + timedelta(days=1), 1)
    for region in ("990106", "44010", "44010a", "440399"):
        with pytest.raises(ValueError, match="division code"):
            identifiers.make_citizen_id(region, date(1990, 1, 1), 1)
    with pytest.raises(ValueError, match="17 digits"):
        identifiers.citizen_id_check_char("1101051949123100X")


def test_reading_an_invalid_citizen_id_raises() -> None:
    with pytest.raises(ValueError, match="checksum|check character"):
        identifiers.citizen_id_birth_date("110105194912310021")
    with pytest.raises(ValueError, match="18 characters"):
        identifiers.citizen_id_is_female("1101")


@given(citizen_ids)
def test_generated_citizen_ids_validate(value: str) -> None:
    assert check_citizen_id(value).valid
    assert value[17] == reference_citizen_check(value[:17])
    assert identifiers.citizen_id_birth_date(value).strftime("%Y%m%d") == value[6:14]
    assert identifiers.citizen_id_is_female(value) == (int(value[14:17]) % 2 == 0)


@given(st.integers(0, 2**32), address_codes, birth_dates, birth_dates, st.sampled_from([None, True, False]))
def test_random_citizen_ids_validate_and_honour_their_arguments(
    seed: int, region: str, a: date, b: date, female: bool | None
) -> None:
    born_from, born_to = min(a, b), max(a, b)
    rng = random.Random(seed)
    value = identifiers.random_citizen_id(rng, region, born_from=born_from, born_to=born_to, female=female)
    assert check_citizen_id(value).valid
    assert value.startswith(region)
    assert born_from <= identifiers.citizen_id_birth_date(value) <= born_to
    assert value[14:17] != "000"
    if female is not None:
        assert identifiers.citizen_id_is_female(value) is female


def test_random_citizen_id_rejects_an_empty_range() -> None:
    with pytest.raises(ValueError, match="after"):
        identifiers.random_citizen_id(
            random.Random(0), "440106", born_from=date(2000, 1, 2), born_to=date(2000, 1, 1)
        )


@given(citizen_ids, st.integers(0, 17), st.sampled_from("0123456789X"))
def test_every_single_substitution_in_a_citizen_id_is_caught(value: str, position: int, char: str) -> None:
    assume(value[position] != char)
    assert not check_citizen_id(value[:position] + char + value[position + 1 :]).valid


@given(citizen_ids, st.integers(0, 16))
def test_every_adjacent_transposition_in_a_citizen_id_is_caught(value: str, i: int) -> None:
    assume(value[i] != value[i + 1])
    assert not check_citizen_id(value[:i] + value[i + 1] + value[i] + value[i + 2 :]).valid


# --- unified social credit code ---------------------------------------------------------------


@pytest.mark.parametrize("value", REAL_USCCS)
def test_published_usccs_are_valid(value: str) -> None:
    assert value[17] == reference_uscc_check(value[:17])
    verdict = check_uscc(value)
    assert (verdict.kind, verdict.valid, verdict.reason) == (IdKind.USCC, True, "ok")
    assert value[2:8] in verdict.detail


@pytest.mark.parametrize("value", REAL_USCCS)
def test_published_organisation_codes_carry_their_gb_11714_check(value: str) -> None:
    assert identifiers.org_code_check_char(value[8:16]) == value[16]


def test_organisation_code_check_maps_10_to_x_and_11_to_0() -> None:
    assert identifiers.org_code_check_char("71526726") == "X"  # Σ mod 11 = 1
    assert identifiers.org_code_check_char("00000000") == "0"  # Σ mod 11 = 0
    with pytest.raises(ValueError, match="8 digits"):
        identifiers.org_code_check_char("7152672")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("91440300192203821", "length"),
        ("9144030019220382166", "length"),
        ("91440300192203821I", "charset"),
        ("9144030019220382O6", "charset"),
        ("914403001922038S16", "charset"),
        ("91440300ma5ebc1234", "charset"),
        ("B14403001922038216", "charset"),  # B is no registering authority
        ("Z14403001922038216", "charset"),
        ("91990300192203821X", "region"),
        ("9144A300192203821X", "region"),
        ("910000001922038216", "region"),
        ("914403001922038217", "checksum"),
    ],
)
def test_known_bad_usccs(value: str, reason: str) -> None:
    verdict = check_uscc(value)
    assert (verdict.kind, verdict.valid, verdict.reason) == (IdKind.USCC, False, reason)
    assert verdict.detail


def test_a_wrong_uscc_check_character_says_what_it_should_be() -> None:
    detail = check_uscc("914403001922038217").detail
    assert detail == "check character is 7 but the first 17 characters give 6"


@pytest.mark.parametrize("authority", ["1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "N", "Y"])
def test_every_gb_32100_authority_is_accepted(authority: str) -> None:
    assert check_uscc(identifiers.make_uscc(authority, "1", "440100", "MA5EBC123")).valid


def test_make_uscc_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="authority"):
        identifiers.make_uscc("B", "1", "440100", "MA5EBC123")
    with pytest.raises(ValueError, match="type"):
        identifiers.make_uscc("9", "I", "440100", "MA5EBC123")
    with pytest.raises(ValueError, match="division code"):
        identifiers.make_uscc("9", "1", "990100", "MA5EBC123")
    with pytest.raises(ValueError, match="organisation code"):
        identifiers.make_uscc("9", "1", "440100", "MA5EBC12O")
    with pytest.raises(ValueError, match="17 characters"):
        identifiers.uscc_check_char("9144030019220382I")


@given(usccs)
def test_generated_usccs_validate(value: str) -> None:
    assert check_uscc(value).valid
    assert value[17] == reference_uscc_check(value[:17])


@given(st.integers(0, 2**32), regions_6, st.sampled_from(sorted(identifiers.USCC_AUTHORITIES)))
def test_random_usccs_carry_a_checked_organisation_code(seed: int, region: str, authority: str) -> None:
    value = identifiers.random_uscc(random.Random(seed), region, authority=authority, org_type="2")
    assert check_uscc(value).valid
    assert value[:2] == authority + "2" and value[2:8] == region
    assert identifiers.org_code_check_char(value[8:16]) == value[16]


@given(usccs, st.integers(0, 17), st.sampled_from(ALPHABET))
def test_every_single_substitution_in_a_uscc_is_caught(value: str, position: int, char: str) -> None:
    assume(value[position] != char)
    assert not check_uscc(value[:position] + char + value[position + 1 :]).valid


@given(usccs, st.integers(0, 16))
def test_every_adjacent_transposition_in_a_uscc_is_caught(value: str, i: int) -> None:
    assume(value[i] != value[i + 1])
    assert not check_uscc(value[:i] + value[i + 1] + value[i] + value[i + 2 :]).valid


# --- division code ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("440000", "ok"),
        ("440106", "ok"),
        ("441882", "ok"),
        ("441900", "ok"),
        ("442000", "ok"),
        ("440303", "ok"),  # 深圳罗湖区
        ("440604", "ok"),  # 佛山禅城区
        ("440402", "ok"),  # 珠海香洲区
        ("445381", "ok"),  # 云浮罗定市
        ("445399", "region"),  # every city's counties are listed
        ("440524", "region"),  # 潮阳县: a former code, valid in citizen IDs only
        ("110105", "ok"),  # outside Guangdong only the province part is checked
        ("4401", "length"),
        ("4401060", "length"),
        ("44010a", "charset"),
        ("４40106", "charset"),
        ("990106", "region"),
        ("449900", "region"),  # no such city in Guangdong
        ("441000", "region"),
        ("440199", "region"),  # 广州 is fully listed
        ("441822", "region"),  # an old 清远 code: valid in citizen IDs, not as a division today
        ("441901", "region"),  # 东莞 has no county level
        ("442001", "region"),
    ],
)
def test_check_division(value: str, reason: str) -> None:
    verdict = check_division(value)
    assert (verdict.kind, verdict.reason, verdict.valid) == (IdKind.DIVISION, reason, reason == "ok")


def test_a_listed_division_is_named() -> None:
    assert "广东省广州市天河区" in check_division("440106").detail


def test_every_county_of_every_city_is_a_valid_division_named_in_full() -> None:
    for county in regions.nodes([regions.Level.COUNTY]):
        verdict = check_division(county.code)
        assert verdict.valid and county.full_name in verdict.detail


def test_a_former_code_is_named_but_refused_as_a_division() -> None:
    verdict = check_division("440524")
    assert (verdict.valid, verdict.reason) == (False, "region") and "潮阳县" in verdict.detail


def test_the_standards_example_born_1880_with_a_former_code_is_valid() -> None:
    verdict = check_citizen_id("440524188001010014")
    assert verdict.valid and "1880-01-01" in verdict.detail and "潮阳县" in verdict.detail
    assert check_citizen_id(with_check("44030318791231001")).reason == "date"
    assert "广东省深圳市罗湖区" in check_citizen_id(with_check("44030319900101001")).detail


# --- guessing the kind ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind", "reason"),
    [
        ("440106", IdKind.DIVISION, "ok"),
        ("44010a", IdKind.DIVISION, "charset"),
        ("abc", IdKind.DIVISION, "length"),
        (WORKED_EXAMPLE, IdKind.CITIZEN_ID, "ok"),
        ("11010519491231002x", IdKind.CITIZEN_ID, "charset"),
        ("110105194912310021", IdKind.CITIZEN_ID, "checksum"),
        ("110105194902300021", IdKind.CITIZEN_ID, "date"),
        ("914403001922038216", IdKind.USCC, "ok"),  # all digits, yet a USCC
        ("914403001922038217", IdKind.USCC, "checksum"),
        ("9144030071526726XG", IdKind.USCC, "ok"),
        ("91440300192203821I", IdKind.USCC, "charset"),
        ("12345678901234", IdKind.CITIZEN_ID, "length"),
        ("1101051949123100２X", IdKind.CITIZEN_ID, "charset"),
    ],
)
def test_check_guesses_the_kind(value: str, kind: IdKind, reason: str) -> None:
    verdict = check(value)
    assert (verdict.kind, verdict.reason) == (kind, reason)


def test_an_explicit_kind_is_not_second_guessed() -> None:
    assert check("440106", IdKind.USCC) == check_uscc("440106")
    assert check(WORKED_EXAMPLE, IdKind.USCC).kind is IdKind.USCC
    assert check("914403001922038216", IdKind.CITIZEN_ID).reason == "region"


@given(citizen_ids)
def test_generated_citizen_ids_are_guessed_as_citizen_ids(value: str) -> None:
    assert check(value) == check_citizen_id(value)


@given(usccs)
def test_generated_usccs_are_guessed_as_usccs(value: str) -> None:
    assume(not check_citizen_id(value).valid)
    assert check(value) == check_uscc(value)
