"""The products and services of the demo event, nine or ten per section.

Each concept says which side usually offers it, so the generator can make one side's needs meet
the other side's offers (complementarity), mostly within a section.
"""

from __future__ import annotations

from bot.demo.vocab.model import Concept, Supplier

_CN = Supplier.CN
_CEE = Supplier.CEE
_BOTH = Supplier.BOTH
_OLIVES = frozenset({"GR", "HR", "AL", "ME", "SI"})
_VINEYARDS = frozenset(
    {"AL", "BA", "BG", "HR", "CZ", "GR", "HU", "ME", "MK", "RO", "RS", "SK", "SI"}
)

CONCEPTS: tuple[Concept, ...] = (
    # Industry, industrial manufacturing
    Concept("cnc_machine_tools", "industry", _CN, "精工机械", "Metal", technology=True),
    Concept("industrial_robots", "industry", _CN, "智能装备", "Robotics", technology=True),
    Concept("solar_pv", "industry", _CN, "新能源科技", "Solar", technology=True),
    Concept("li_ion_batteries", "industry", _CN, "电池科技", "Energy", technology=True),
    Concept("led_lighting", "industry", _CN, "光电科技", "Lux", technology=True),
    Concept("auto_parts", "industry", _CEE, "汽车零部件", "Auto"),
    Concept("glass_crystal", "industry", _CEE, "玻璃制品", "Crystal"),
    Concept("wooden_furniture", "industry", _CEE, "家具", "Wood"),
    Concept("steel_structures", "industry", _CEE, "钢结构工程", "Steel"),
    # Trade and investment, agriculture
    Concept("wine", "trade", _CEE, "酒业", "Vin", origins=_VINEYARDS),
    Concept("honey", "trade", _CEE, "蜂业", "Api"),
    Concept("dairy", "trade", _CEE, "乳业", "Lacto"),
    Concept("frozen_berries", "trade", _CEE, "食品", "Berry"),
    Concept("olive_oil", "trade", _CEE, "橄榄油", "Olive", origins=_OLIVES),
    Concept("rail_freight", "trade", _BOTH, "国际物流", "Logistics"),
    Concept("agri_machinery", "trade", _CN, "农业机械", "Agrotech", technology=True),
    Concept("tea", "trade", _CN, "茶业", "Tea"),
    Concept("cross_border_ecommerce", "trade", _CN, "电子商务", "Trade"),
    # Tourism, and people to people exchange
    Concept("group_tours", "tourism", _CEE, "国际旅行社", "Travel"),
    Concept("spa_wellness", "tourism", _CEE, "康养旅游", "Spa"),
    Concept("hotel_stays", "tourism", _CEE, "酒店管理", "Hotels"),
    Concept("student_exchange", "tourism", _BOTH, "教育咨询", "Edu"),
    Concept("cultural_festivals", "tourism", _BOTH, "文化传播", "Culture"),
    Concept("conference_services", "tourism", _BOTH, "会展服务", "Events"),
    Concept("china_tours", "tourism", _CN, "国际旅行社", "Tours"),
    Concept("chinese_courses", "tourism", _CN, "教育科技", "Lingua"),
    Concept("charter_flights", "tourism", _CN, "航空服务", "Air"),
    # Medical and health
    Concept("medical_devices", "health", _CN, "医疗器械", "Medical", technology=True),
    Concept("diagnostic_kits", "health", _CN, "生物科技", "Diagnostics", technology=True),
    Concept("tcm_herbs", "health", _CN, "中药材", "Herbal"),
    Concept("masks_gloves", "health", _CN, "卫生材料", "Protect"),
    Concept("pharma_ingredients", "health", _CN, "制药", "Chem", technology=True),
    Concept("generic_medicines", "health", _CEE, "药业", "Pharma"),
    Concept("rehabilitation", "health", _CEE, "康复医疗", "Rehab"),
    Concept("supplements", "health", _CEE, "健康科技", "Vita"),
    Concept("clinical_trials", "health", _CEE, "医药研发", "Clinical", technology=True),
    Concept("natural_cosmetics", "health", _CEE, "化妆品", "Cosmetics"),
)

CONCEPTS_BY_KEY: dict[str, Concept] = {c.key: c for c in CONCEPTS}
