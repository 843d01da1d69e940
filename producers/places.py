"""Names of places and government offices at a division: authorities, police stations, hospitals,
insurance agencies, registries, addresses and document-number prefixes.

Everything derived from a division code alone is cached, so the hot path only formats strings.
A department's own USCC (authority 1 = 机构编制, type 1 = 机关) is derived from a string seed, so
every process gives the same office the same code.
"""

from __future__ import annotations

import random
from functools import cache

from exchange.core import identifiers, regions
from exchange.core.regions import Level
from producers.vocab_people import STREETS_OFFICES, TOWNS

PROVINCE_ABBREVIATION = "粤"
CITY_ABBREVIATIONS = {
    "440100": "穗", "440200": "韶", "440300": "深", "440400": "珠", "440500": "汕", "440600": "佛", "440700": "江",
    "440800": "湛", "440900": "茂", "441200": "肇", "441300": "惠", "441400": "梅", "441500": "汕尾", "441600": "河",
    "441700": "阳", "441800": "清", "441900": "莞", "442000": "中", "445100": "潮", "445200": "揭", "445300": "云",
}  # fmt: skip
# (province office, city suffix, county suffix)
_OFFICES = {
    "gongan": ("广东省公安厅", "公安局", "公安局"),
    "weijian": ("广东省卫生健康委员会", "卫生健康委员会", "卫生健康局"),
    "renshe": ("广东省人力资源和社会保障厅", "人力资源和社会保障局", "人力资源和社会保障局"),
    "yibao": ("广东省医疗保障局", "医疗保障局", "医疗保障局"),
    "minzheng": ("广东省民政厅", "民政局", "民政局"),
    "shuiwu": ("国家税务总局广东省税务局", "税务局", "税务局"),
    "scjg": ("广东省市场监督管理局", "市场监督管理局", "市场监督管理局"),
    "zrzy": ("广东省自然资源厅", "自然资源局", "自然资源局"),
    "xinyong": ("广东省发展和改革委员会", "发展和改革委员会", "发展和改革局"),
    "jiaoyu": ("广东省教育厅", "教育局", "教育局"),
    "jiaotong": ("广东省交通运输厅", "交通运输局", "交通运输局"),
    "zsj": ("广东省政务服务和数据管理局", "政务服务和数据管理局", "政务服务和数据管理局"),
}
# Short forms in decision-document numbers (文号), e.g. 穗天市监罚〔2025〕123号.
DOCUMENT_ABBREVIATIONS = {"scjg": "市监", "zrzy": "自然资", "jiaotong": "交", "shuiwu": "税"}


@cache
def full_name(code: str) -> str:
    """"广东省广州市天河区" for 440106."""
    return regions.division(code).full_name


@cache
def place(code: str) -> str:
    """The name an office at `code` carries: 广东省, 广州市, 广州市天河区, 英德市, 佛冈县."""
    found = regions.division(code)
    if found.level is not Level.COUNTY or not found.name.endswith("区"):
        return found.name
    return regions.division(found.parent or code).name + found.name


@cache
def abbreviation(code: str) -> str:
    """The place part of a document number: 粤, 穗, 穗天 (天河区), 清英 (英德市)."""
    found = regions.division(code)
    if found.level is Level.PROVINCE:
        return PROVINCE_ABBREVIATION
    city = regions.city_of(code) or code
    return CITY_ABBREVIATIONS[city] + ("" if found.level is Level.CITY else found.name[0])


@cache
def authority(department: str, code: str) -> str:
    """The office of `department` at division `code`, e.g. 广州市天河区市场监督管理局."""
    province, city_suffix, county_suffix = _OFFICES[department]
    found = regions.division(code)
    if found.level is Level.PROVINCE:
        return province
    if department == "gongan" and found.level is Level.COUNTY and found.name.endswith("区"):
        return f"{regions.division(found.parent or code).name}公安局{found.name[:-1]}分局"
    name = place(code) + (city_suffix if found.level is Level.CITY else county_suffix)
    return "国家税务总局" + name if department == "shuiwu" else name


@cache
def department_uscc(department: str, code: str) -> str:
    """The USCC of `department`'s office at `code` (a government body: authority 1, type 1)."""
    rng = random.Random(f"govx-office/{code}/{department}")  # noqa: S311 - a simulation, not secrets
    return identifiers.random_uscc(rng, code, authority="1", org_type="1")


@cache
def streets(code: str) -> tuple[str, ...]:
    """Sub-district (街道) or town names of a city or county, stable per code."""
    towns = TOWNS.get(code)
    if towns is not None:
        return tuple(town.removesuffix("街道").removesuffix("镇") for town in towns)
    rng = random.Random(f"govx-streets/{code}")  # noqa: S311 - a simulation, not secrets
    return tuple(rng.sample(STREETS_OFFICES, 6))


@cache
def police_stations(code: str) -> tuple[str, ...]:
    """The police stations (派出所) that keep household registers in `code`."""
    return tuple(f"{authority('gongan', code)}{street}派出所" for street in streets(code))


@cache
def health_centres(code: str) -> tuple[str, ...]:
    """Community health-service centres, which certify deaths at home."""
    return tuple(f"{place(code)}{street}街道社区卫生服务中心" for street in streets(code))


@cache
def hospitals(code: str) -> tuple[str, ...]:
    """General hospitals serving the people of `code` (county first, then the city's)."""
    city = regions.division(regions.city_of(code) or code).name
    names = [f"{city}第一人民医院", f"{city}人民医院", f"{city}中医院"]
    if regions.level_of(code) is Level.COUNTY:
        names = [f"{place(code)}人民医院", f"{place(code)}中医医院", *names]
    if city == "广州市":
        names += ["广东省人民医院", "中山大学附属第一医院", "南方医科大学南方医院", "广州医科大学附属第一医院"]
    return tuple(names)


@cache
def maternity_hospitals(code: str) -> tuple[str, ...]:
    """Hospitals with a delivery ward (助产机构) for mothers registered in `code`."""
    city = regions.division(regions.city_of(code) or code).name
    names = [f"{city}妇幼保健院", f"{city}人民医院"]
    if regions.level_of(code) is Level.COUNTY:
        names.insert(0, f"{place(code)}妇幼保健院")
    if city == "广州市":
        names += ["广东省妇幼保健院", "广州市妇女儿童医疗中心"]
    return tuple(names)


def social_insurance_agency(code: str) -> str:
    """The social-insurance agency (社保经办机构) at `code`."""
    return f"{place(code)}社会保险基金管理局"


def medical_insurance_agency(code: str) -> str:
    """The medical-insurance agency (医保经办机构) at `code`."""
    return f"{place(code)}医疗保障事业管理中心"


def marriage_office(code: str) -> str:
    """The marriage registry (婚姻登记处) at `code`."""
    return f"{place(code)}民政局婚姻登记处"


def tax_authority_code(code: str) -> str:
    """An 11-digit competent tax authority code: 1, the division code, then 0000."""
    return f"1{code}0000"


def address(rng: random.Random, region: str, road: str) -> str:
    """A Guangdong street address in `region`, e.g. 广东省广州市天河区中山路18号3栋1204房."""
    towns = TOWNS.get(region)
    town = towns[rng.randrange(len(towns))] if towns else ""
    head = f"{full_name(region)}{town}{road}{rng.randint(1, 899)}号"
    if rng.random() < 0.3:
        return head
    return f"{head}{rng.randint(1, 30)}栋{rng.randint(1, 32)}{rng.randint(1, 8):02d}房"
