"""Chinese vocabularies for simulated residents of Guangdong: names, ethnic groups, schooling,
occupations, household relations, old division codes, causes of death and notifiable diseases.

The weights are plausible orders of magnitude for Guangdong, not statistics.
"""

from __future__ import annotations

from producers.pick import Weighted

# Surnames as common in Guangdong (陈、李、黄 lead); the rest come from faker's national table.
CANTONESE_SURNAMES = Weighted([
    ("陈", 10.5), ("李", 6.5), ("黄", 6.3), ("张", 4.5), ("梁", 4.0), ("林", 3.6), ("刘", 3.5),
    ("吴", 3.0), ("罗", 2.8), ("何", 2.6), ("郑", 2.2), ("杨", 2.2), ("周", 2.0), ("谢", 1.9),
    ("叶", 1.8), ("邓", 1.8), ("曾", 1.7), ("冯", 1.5), ("赖", 1.3), ("钟", 1.3), ("潘", 1.2),
    ("蔡", 1.2), ("卢", 1.1), ("苏", 1.0), ("麦", 0.8), ("欧阳", 0.4),
])  # fmt: skip

# Given names popular since the 2000s; faker's table leans to older ones (桂珍, 建国).
MODERN_MALE = (
    "子轩", "浩宇", "梓睿", "俊熙", "宇轩", "梓豪", "浩然", "子豪", "梓轩", "皓轩", "宇航", "嘉豪", "俊杰", "睿",
    "晨", "铭", "博文", "思远", "泽宇", "一鸣", "梓航", "锦程",
)  # fmt: skip
MODERN_FEMALE = (
    "梓涵", "欣怡", "诗涵", "梓萱", "子涵", "雨桐", "可欣", "芷晴", "思颖", "紫琪", "梓晴", "嘉怡", "佳琪", "晓彤",
    "诗琪", "雨萱", "语嫣", "欣妍", "若汐", "一诺", "芷若", "心悦",
)  # fmt: skip
MODERN_SHARE = 0.7  # of people under 20

# 汉族 about 90 %; the autonomous counties of 清远 have their own mix.
ETHNICITIES = Weighted([
    ("汉族", 90.0), ("壮族", 3.0), ("土家族", 1.5), ("瑶族", 1.2), ("苗族", 1.1), ("侗族", 0.7),
    ("畲族", 0.5), ("回族", 0.5), ("满族", 0.4), ("布依族", 0.4), ("彝族", 0.3), ("蒙古族", 0.2),
    ("黎族", 0.2),
])  # fmt: skip
LOCAL_ETHNICITIES = {
    "441825": Weighted([("汉族", 50.0), ("壮族", 30.0), ("瑶族", 20.0)]),  # 连山壮族瑶族自治县
    "441826": Weighted([("汉族", 45.0), ("瑶族", 52.0), ("壮族", 3.0)]),  # 连南瑶族自治县
}

# Highest schooling of adults, by age band (younger cohorts went further).
EDUCATION_YOUNG = Weighted([
    ("DOCTORATE", 1.0), ("MASTER", 6.0), ("BACHELOR", 28.0), ("JUNIOR_COLLEGE", 22.0),
    ("SECONDARY_VOCATIONAL", 10.0), ("HIGH_SCHOOL", 15.0), ("JUNIOR_HIGH", 16.0), ("PRIMARY", 2.0),
])  # fmt: skip
EDUCATION_MIDDLE = Weighted([
    ("DOCTORATE", 0.5), ("MASTER", 2.0), ("BACHELOR", 12.0), ("JUNIOR_COLLEGE", 14.0),
    ("SECONDARY_VOCATIONAL", 10.0), ("HIGH_SCHOOL", 22.0), ("JUNIOR_HIGH", 30.0), ("PRIMARY", 9.0),
    ("ILLITERATE", 0.5),
])  # fmt: skip
EDUCATION_OLD = Weighted([
    ("BACHELOR", 4.0), ("JUNIOR_COLLEGE", 5.0), ("SECONDARY_VOCATIONAL", 5.0), ("HIGH_SCHOOL", 14.0),
    ("JUNIOR_HIGH", 27.0), ("PRIMARY", 35.0), ("ILLITERATE", 10.0),
])  # fmt: skip
HIGHER_EDUCATION = frozenset({"DOCTORATE", "MASTER", "BACHELOR"})
MIDDLE_EDUCATION = frozenset({"JUNIOR_COLLEGE", "SECONDARY_VOCATIONAL", "HIGH_SCHOOL"})

OCCUPATIONS_HIGHER = Weighted([
    ("软件工程师", 10.0), ("教师", 10.0), ("医生", 6.0), ("公务员", 6.0), ("工程技术人员", 10.0),
    ("会计", 7.0), ("律师", 2.0), ("银行职员", 5.0), ("企业管理人员", 9.0), ("销售人员", 8.0),
    ("设计师", 4.0), ("护士", 3.0), ("科研人员", 2.0),
])  # fmt: skip
OCCUPATIONS_MIDDLE = Weighted([
    ("销售人员", 12.0), ("护士", 5.0), ("文员", 8.0), ("个体经营者", 12.0), ("电工", 4.0), ("厨师", 5.0),
    ("网约车司机", 5.0), ("快递员", 6.0), ("保安", 4.0), ("制造业工人", 14.0), ("美容美发师", 3.0),
    ("餐饮服务人员", 7.0), ("会计", 4.0),
])  # fmt: skip
OCCUPATIONS_LOWER = Weighted([
    ("制造业工人", 22.0), ("建筑工人", 12.0), ("农民", 14.0), ("保洁员", 6.0), ("快递员", 6.0),
    ("货车司机", 5.0), ("餐饮服务人员", 9.0), ("个体经营者", 10.0), ("家政服务员", 5.0), ("无业", 6.0),
])  # fmt: skip
RETIRED = "离退休人员"
STUDENT = "学生"
# Occupations that have an employer (服务处所) in the population register.
EMPLOYED = frozenset({
    "软件工程师", "工程技术人员", "会计", "银行职员", "企业管理人员", "销售人员", "设计师", "文员", "电工",
    "厨师", "快递员", "保安", "制造业工人", "餐饮服务人员", "建筑工人", "保洁员", "货车司机", "科研人员",
})  # fmt: skip

# 人群分类 of the infectious-disease report card (传染病报告卡).
DISEASE_GROUPS = {
    "教师": "教师", "医生": "医务人员", "护士": "医务人员", "公务员": "干部职员", "银行职员": "干部职员",
    "会计": "干部职员", "企业管理人员": "干部职员", "文员": "干部职员", "农民": "农民", "制造业工人": "工人",
    "建筑工人": "民工", "电工": "工人", "快递员": "商业服务", "销售人员": "商业服务", "餐饮服务人员": "餐饮食品业",
    "厨师": "餐饮食品业", "个体经营者": "商业服务", "离退休人员": "离退人员", "无业": "家务及待业",
    "家政服务员": "家政、家务及待业", "学生": "学生",
}  # fmt: skip

MILITARY_MEN = Weighted([("未服兵役", 93.0), ("退出现役", 6.0), ("预备役", 1.0)])

# Division codes that no longer exist but live on in older citizen IDs (GB 11643 keeps them):
# today's division → (old code, the year it went). Only people born before then carry it.
OLD_CODES = {
    "440103": ("440107", 2005),  # 芳村区 → 荔湾区
    "440104": ("440102", 2005),  # 东山区 → 越秀区
    "440112": ("440116", 2014),  # 萝岗区 → 黄埔区
    "440113": ("440181", 2000),  # 番禺市 → 番禺区
    "440114": ("440182", 2000),  # 花都市 → 花都区
    "440117": ("440184", 2014),  # 从化市 → 从化区
    "440118": ("440183", 2014),  # 增城市 → 增城区
    "441803": ("441827", 2012),  # 清新县 → 清新区
    "441881": ("441822", 1994),  # 英德县 → 英德市
}
CITY_DISTRICTS_UNTIL = 2000  # the xx01 市辖区 codes of cities whose counties the table omits
OLD_CODE_SHARE = 0.05  # of the people born before the code went

# Where people who move in from outside the node come from (ID address code, place name).
ORIGINS = (
    ("430102", "湖南省长沙市芙蓉区"), ("430405", "湖南省衡阳市珠晖区"), ("431002", "湖南省郴州市北湖区"),
    ("450102", "广西壮族自治区南宁市兴宁区"), ("450902", "广西壮族自治区玉林市玉州区"),
    ("360702", "江西省赣州市章贡区"), ("511302", "四川省南充市顺庆区"), ("421102", "湖北省黄冈市黄州区"),
    ("350802", "福建省龙岩市新罗区"), ("411302", "河南省南阳市宛城区"), ("500101", "重庆市万州区"),
    ("441402", "广东省梅州市梅江区"), ("445102", "广东省潮州市湘桥区"), ("440802", "广东省湛江市赤坎区"),
    ("440902", "广东省茂名市茂南区"),
)  # fmt: skip
MOVE_REASONS = Weighted([
    ("投靠亲属", 25.0), ("购房", 25.0), ("工作调动", 15.0), ("人才引进", 15.0), ("大中专院校毕业", 10.0),
    ("随迁", 10.0),
])  # fmt: skip

# (direct cause, underlying cause, ICD-10 of the underlying cause)
Cause = tuple[str, str, str]
CAUSES_OLD: Weighted[Cause] = Weighted([
    (("急性心肌梗死", "急性心肌梗死", "I21.9"), 12.0), (("心力衰竭", "高血压性心脏病", "I11.9"), 8.0),
    (("脑疝", "脑出血", "I61.9"), 9.0), (("呼吸衰竭", "慢性阻塞性肺疾病", "J44.9"), 10.0),
    (("多器官功能衰竭", "肺恶性肿瘤", "C34.9"), 11.0), (("肝功能衰竭", "肝恶性肿瘤", "C22.9"), 6.0),
    (("呼吸循环衰竭", "鼻咽恶性肿瘤", "C11.9"), 3.0), (("恶病质", "结直肠恶性肿瘤", "C18.9"), 4.0),
    (("恶病质", "胃恶性肿瘤", "C16.9"), 3.0), (("脑梗死", "脑梗死", "I63.9"), 10.0),
    (("重症肺炎", "肺炎", "J18.9"), 9.0), (("感染性休克", "2型糖尿病", "E11.9"), 4.0),
    (("尿毒症", "慢性肾脏病", "N18.9"), 3.0), (("心脏骤停", "冠状动脉粥样硬化性心脏病", "I25.1"), 7.0),
    (("多器官功能衰竭", "阿尔茨海默病", "G30.9"), 2.0),
])  # fmt: skip
CAUSES_YOUNG: Weighted[Cause] = Weighted([
    (("颅脑损伤", "道路交通事故", "V89.2"), 15.0), (("溺水窒息", "意外淹溺", "W74"), 4.0),
    (("失血性休克", "高处坠落", "W17"), 3.0), (("急性心肌梗死", "急性心肌梗死", "I21.9"), 6.0),
    (("多器官功能衰竭", "肝恶性肿瘤", "C22.9"), 6.0), (("颅内出血", "急性髓样白血病", "C92.0"), 4.0),
    (("呼吸循环衰竭", "鼻咽恶性肿瘤", "C11.9"), 4.0), (("脑疝", "脑出血", "I61.9"), 4.0),
])  # fmt: skip
DEATH_PLACES = Weighted([("HOSPITAL", 68.0), ("HOME", 27.0), ("OTHER", 5.0)])
DIAGNOSIS_IN_HOSPITAL = Weighted([
    ("CLINICAL_LAB", 50.0), ("PATHOLOGY", 18.0), ("CLINICAL", 20.0), ("SURGERY", 6.0), ("AUTOPSY", 1.0),
    ("UNKNOWN", 2.0),
])  # fmt: skip
DIAGNOSIS_ELSEWHERE = Weighted([("CLINICAL_LAB", 25.0), ("CLINICAL", 30.0), ("POSTMORTEM_INFERENCE", 40.0),
                                ("UNKNOWN", 5.0)])
INFORMANT_RELATIONS = ("子", "女", "配偶", "孙子", "孙女")

# (disease, class) — children and adults see different notifiable diseases.
Disease = tuple[str, str]
DISEASES_CHILD: Weighted[Disease] = Weighted([
    (("手足口病", "CLASS_C"), 40.0), (("流行性感冒", "CLASS_C"), 30.0), (("水痘", "OTHER"), 15.0),
    (("猩红热", "CLASS_B"), 6.0), (("其他感染性腹泻病", "CLASS_C"), 9.0),
])  # fmt: skip
DISEASES_ADULT: Weighted[Disease] = Weighted([
    (("流行性感冒", "CLASS_C"), 30.0), (("肺结核", "CLASS_B"), 14.0), (("乙型病毒性肝炎", "CLASS_B"), 12.0),
    (("梅毒", "CLASS_B"), 10.0), (("登革热", "CLASS_B"), 8.0), (("新型冠状病毒感染", "CLASS_B"), 10.0),
    (("其他感染性腹泻病", "CLASS_C"), 8.0), (("细菌性痢疾", "CLASS_B"), 3.0), (("艾滋病", "CLASS_B"), 2.0),
    (("流行性腮腺炎", "CLASS_C"), 2.9), (("霍乱", "CLASS_A"), 0.1),
])  # fmt: skip
CASE_CLASSES = Weighted([("CONFIRMED", 55.0), ("CLINICAL", 30.0), ("SUSPECTED", 13.0), ("CARRIER", 2.0)])

# Generic names of sub-district streets (街道) and the police stations (派出所) named after them.
STREETS_OFFICES = (
    "城南", "城北", "城东", "城西", "新城", "东湖", "西湖", "沙河", "石牌", "凤凰", "龙洞", "南岗", "新塘",
    "江南", "江北", "东山", "西关", "金沙", "黄岗", "太平", "大塘", "石岗", "荔城", "永宁", "棠下", "员村",
    "长兴", "五山", "车陂", "珠江",
)  # fmt: skip
# 东莞 and 中山 have no county level: addresses go city → town (镇/街道).
TOWNS = {
    "441900": ("莞城街道", "南城街道", "东城街道", "万江街道", "虎门镇", "长安镇", "厚街镇", "常平镇", "塘厦镇",
               "凤岗镇", "寮步镇", "大朗镇", "松山湖"),
    "442000": ("石岐街道", "东区街道", "西区街道", "南区街道", "火炬开发区", "小榄镇", "古镇镇", "三乡镇",
               "坦洲镇", "南头镇", "黄圃镇"),
}  # fmt: skip
ROADS = (
    "中山路", "人民路", "解放路", "建设路", "新华路", "环城路", "东风路", "迎宾大道", "滨江路", "朝阳路",
    "文明路", "工业大道", "育才路", "康乐路", "健康路", "兴业路", "创业路", "科技大道", "湖滨路", "府前路",
)  # fmt: skip
