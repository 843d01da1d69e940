"""Chinese vocabularies for simulated market entities: industries and business scopes, entity
types, registration changes and deregistrations, and the 双公示 licences and penalties that
市场监管, 自然资源, 交通运输 and 税务 decide.
"""

from __future__ import annotations

from dataclasses import dataclass

from producers.pick import Weighted


@dataclass(frozen=True)
class Industry:
    """A line of business: the word in the firm's name, its GB/T 4754 code and a business scope."""

    word: str
    code: str
    scope: str


INDUSTRIES = Weighted([
    (Industry("科技", "6513", "软件开发；信息系统集成服务；信息技术咨询服务；数据处理和存储支持服务"), 16.0),
    (Industry("贸易", "5191", "日用百货销售；五金产品批发；电子产品销售；货物进出口；技术进出口"), 16.0),
    (Industry("餐饮管理", "6210", "餐饮服务；餐饮管理；食品销售（仅销售预包装食品）"), 9.0),
    (Industry("建筑工程", "4790", "建设工程施工；建筑劳务分包；住宅室内装饰装修；园林绿化工程施工"), 8.0),
    (Industry("物流", "5431", "道路货物运输（不含危险货物）；国内货物运输代理；普通货物仓储服务"), 7.0),
    (Industry("电子", "3971", "电子元器件制造；电子产品销售；技术服务、技术开发、技术咨询"), 8.0),
    (Industry("家具", "2110", "家具制造；家具销售；家具零配件生产"), 4.0),
    (Industry("服装", "1810", "服装制造；服装服饰批发；面料纺织加工"), 5.0),
    (Industry("房地产开发", "7010", "房地产开发经营；物业管理；住房租赁"), 3.0),
    (Industry("食品", "1499", "食品生产；食品销售；农副产品销售"), 4.0),
    (Industry("医药", "5251", "药品零售；第二类医疗器械销售；保健食品（预包装）销售"), 4.0),
    (Industry("教育咨询", "8399", "教育咨询服务（不含涉许可审批的教育培训活动）；文化艺术交流活动组织"), 4.0),
    (Industry("文化传媒", "7251", "广告设计、代理；广告发布；会议及展览服务；文艺创作"), 6.0),
    (Industry("汽车服务", "8111", "机动车修理和维护；汽车零配件零售；洗车服务"), 3.0),
    (Industry("新能源", "3825", "光伏设备及元器件制造；储能技术服务；电池销售"), 3.0),
])  # fmt: skip
FARMING = Industry("种养", "0141", "蔬菜种植；水果种植；家禽饲养；农产品的生产、销售、加工、运输、贮藏")

ENTERPRISE_TYPES = Weighted([
    ("LLC_SOLE_NATURAL_PERSON", 24.0), ("LLC", 46.0), ("JOINT_STOCK", 3.0), ("STATE_OWNED", 0.5),
    ("COLLECTIVE", 0.5), ("SOLE_PROPRIETORSHIP", 4.0), ("PARTNERSHIP", 4.0), ("FOREIGN_INVESTED", 4.0),
    ("BRANCH", 8.0), ("FARMERS_COOPERATIVE", 2.0), ("INDIVIDUAL_BUSINESS", 4.0),
])  # fmt: skip
# GB 32100 position 2 under authority 9 (market regulation): 1 enterprise, 2 individual, 3 cooperative.
ORG_TYPE = {"INDIVIDUAL_BUSINESS": "2", "FARMERS_COOPERATIVE": "3"}
NAME_SUFFIX = {
    "LLC_SOLE_NATURAL_PERSON": "有限公司", "LLC": "有限公司", "JOINT_STOCK": "股份有限公司",
    "STATE_OWNED": "公司", "COLLECTIVE": "厂", "SOLE_PROPRIETORSHIP": "商行", "PARTNERSHIP": "企业（有限合伙）",
    "FOREIGN_INVESTED": "有限公司", "BRANCH": "有限公司分公司", "FARMERS_COOPERATIVE": "专业合作社",
    "INDIVIDUAL_BUSINESS": "经营部",
}  # fmt: skip
# Entity types whose licence carries no registered capital.
NO_CAPITAL = frozenset({"BRANCH", "INDIVIDUAL_BUSINESS", "SOLE_PROPRIETORSHIP"})

CHANGE_ITEMS = Weighted([
    ("ADDRESS", 30.0), ("CAPITAL", 18.0), ("SCOPE", 20.0), ("LEGAL_REPRESENTATIVE", 15.0), ("NAME", 10.0),
    ("TYPE", 2.0), ("OTHER", 5.0),
])  # fmt: skip
CHANGE_REASONS = {
    "ADDRESS": "经营场所搬迁", "CAPITAL": "股东增资", "SCOPE": "业务发展需要", "LEGAL_REPRESENTATIVE": "股东会决议变更",
    "NAME": "企业品牌调整", "TYPE": "新增股东", "OTHER": "变更联络员",
}  # fmt: skip
EXTRA_SCOPES = (
    "技术进出口", "互联网销售（除销售需要许可的商品）", "会议及展览服务", "供应链管理服务", "人工智能应用软件开发",
    "新能源汽车整车销售", "物业管理", "健康咨询服务（不含诊疗服务）",
)  # fmt: skip

DEREGISTRATION_REASONS = Weighted([
    ("股东会决议解散", 55.0), ("营业期限届满", 8.0), ("投资人决定解散", 25.0), ("被吊销营业执照", 7.0),
    ("依法宣告破产", 5.0),
])  # fmt: skip


@dataclass(frozen=True)
class LicenceKind:
    """A kind of administrative licence a department grants (双公示 licence fields)."""

    document: str
    certificate: str | None
    content: str
    category: str
    years: int  # 0 = no fixed term (valid until 2099-12-31)
    prefix: str  # of the licence number


LICENCES: dict[str, Weighted[LicenceKind]] = {
    "scjg": Weighted([
        (LicenceKind("食品经营许可决定书", "食品经营许可证", "预包装食品销售；热食类食品制售", "GENERAL", 5, "JY"),
         50.0),
        (LicenceKind("特种设备使用登记证", "特种设备使用登记证", "电梯使用登记", "REGISTRATION", 0, "梯"), 20.0),
        (LicenceKind("食品生产许可决定书", "食品生产许可证", "糕点、饮料生产", "GENERAL", 5, "SC"), 15.0),
        (LicenceKind("计量器具型式批准决定书", None, "电子计价秤型式批准", "APPROVAL", 0, "PA"), 15.0),
    ]),
    "zrzy": Weighted([
        (LicenceKind("建设用地规划许可证", "建设用地规划许可证", "工业用地规划许可", "GENERAL", 0, "地字"), 40.0),
        (LicenceKind("建设工程规划许可证", "建设工程规划许可证", "厂房及配套宿舍建设工程规划许可", "GENERAL", 2,
                     "建字"), 40.0),
        (LicenceKind("采矿许可证", "采矿许可证", "建筑用花岗岩露天开采", "FRANCHISE", 5, "C44"), 5.0),
        (LicenceKind("测绘资质审批决定书", "测绘资质证书", "工程测量乙级", "RECOGNITION", 5, "乙测资字"), 15.0),
    ]),
    "jiaotong": Weighted([
        (LicenceKind("道路运输经营许可决定书", "道路运输经营许可证", "道路普通货物运输", "GENERAL", 4,
                     "粤交运管许可"), 60.0),
        (LicenceKind("道路客运班线经营许可决定书", "道路运输经营许可证", "省内班车客运", "FRANCHISE", 4,
                     "粤交运管许可"), 15.0),
        (LicenceKind("机动车维修经营备案", None, "一类机动车维修", "REGISTRATION", 0, "粤交维备"), 25.0),
    ]),
}  # fmt: skip


@dataclass(frozen=True)
class PenaltyKind:
    """A kind of violation a department penalises, with the law it breaks and the usual sanction."""

    violation: str
    facts: str
    provision: str
    basis: str
    types: tuple[str, ...]
    fine_yuan: tuple[int, int]  # (0, 0) when there is no fine
    confiscation: bool = False


PENALTIES: dict[str, Weighted[PenaltyKind]] = {
    "shuiwu": Weighted([
        (PenaltyKind("未按期申报", "未按照规定期限办理增值税纳税申报和报送纳税资料",
                     "《中华人民共和国税收征收管理法》第二十五条第一款", "《中华人民共和国税收征收管理法》第六十二条",
                     ("FINE",), (200, 2000)), 70.0),
        (PenaltyKind("未按规定开具发票", "未按照规定开具发票", "《中华人民共和国发票管理办法》第十八条",
                     "《中华人民共和国发票管理办法》第三十五条", ("FINE",), (1000, 10000)), 20.0),
        (PenaltyKind("偷税", "通过在账簿上少列收入的手段少缴税款", "《中华人民共和国税收征收管理法》第六十三条第一款",
                     "《中华人民共和国税收征收管理法》第六十三条第一款", ("FINE",), (20000, 300000)), 10.0),
    ]),
    "scjg": Weighted([
        (PenaltyKind("销售不合格产品", "销售经抽检不合格的产品", "《中华人民共和国产品质量法》第三十九条",
                     "《中华人民共和国产品质量法》第五十条", ("FINE", "CONFISCATION_OF_ILLEGAL_GAINS"), (5000, 50000),
                     True), 30.0),
        (PenaltyKind("虚假广告", "在网络平台发布含有虚假内容的广告", "《中华人民共和国广告法》第二十八条",
                     "《中华人民共和国广告法》第五十五条第一款", ("FINE",), (20000, 200000)), 25.0),
        (PenaltyKind("食品安全违法", "经营超过保质期的食品", "《中华人民共和国食品安全法》第三十四条第十项",
                     "《中华人民共和国食品安全法》第一百二十四条第一款", ("FINE", "CONFISCATION_OF_ILLEGAL_PROPERTY"),
                     (50000, 100000), True), 30.0),
        (PenaltyKind("未按规定公示年度报告", "未按照规定期限公示年度报告", "《企业信息公示暂行条例》第八条",
                     "《企业信息公示暂行条例》第十七条", ("WARNING",), (0, 0)), 15.0),
    ]),
    "zrzy": Weighted([
        (PenaltyKind("非法占用土地", "未经批准擅自占用集体土地建设厂房", "《中华人民共和国土地管理法》第四十四条",
                     "《中华人民共和国土地管理法》第七十七条第一款", ("FINE", "CONFISCATION_OF_ILLEGAL_PROPERTY"),
                     (30000, 300000), True), 60.0),
        (PenaltyKind("违法建设", "未取得建设工程规划许可证进行建设", "《中华人民共和国城乡规划法》第四十条",
                     "《中华人民共和国城乡规划法》第六十四条", ("FINE",), (50000, 500000)), 40.0),
    ]),
    "jiaotong": Weighted([
        (PenaltyKind("违法超限运输", "车辆违法超限运输", "《公路安全保护条例》第三十三条",
                     "《公路安全保护条例》第六十四条", ("FINE",), (500, 30000)), 50.0),
        (PenaltyKind("未取得道路运输经营许可", "未取得道路运输经营许可擅自从事道路普通货物运输经营",
                     "《中华人民共和国道路运输条例》第二十四条", "《中华人民共和国道路运输条例》第六十三条",
                     ("FINE", "CONFISCATION_OF_ILLEGAL_GAINS"), (10000, 100000), True), 30.0),
        (PenaltyKind("未按规定维护车辆", "未按照规定对营运车辆进行定期维护和检测",
                     "《中华人民共和国道路运输条例》第三十条", "《中华人民共和国道路运输条例》第七十条",
                     ("WARNING", "FINE"), (1000, 5000)), 20.0),
    ]),
}  # fmt: skip
