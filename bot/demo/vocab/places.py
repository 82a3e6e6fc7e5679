"""Where demo companies sit and what they are called: cities, name parts, legal forms, phones.

Cities are real cities of each country, spelled as on a local business card in Latin script
(pinyin for China, the usual English spelling where the country writes another script).
"""

from __future__ import annotations

# Chinese cities: (characters used in the company name, pinyin for the city field).
CN_CITIES: tuple[tuple[str, str], ...] = (
    ("宁波", "Ningbo"),
    ("苏州", "Suzhou"),
    ("深圳", "Shenzhen"),
    ("广州", "Guangzhou"),
    ("杭州", "Hangzhou"),
    ("上海", "Shanghai"),
    ("北京", "Beijing"),
    ("成都", "Chengdu"),
    ("重庆", "Chongqing"),
    ("西安", "Xi'an"),
    ("武汉", "Wuhan"),
    ("青岛", "Qingdao"),
    ("厦门", "Xiamen"),
    ("天津", "Tianjin"),
    ("郑州", "Zhengzhou"),
    ("长沙", "Changsha"),
    ("义乌", "Yiwu"),
    ("无锡", "Wuxi"),
    ("南京", "Nanjing"),
    ("合肥", "Hefei"),
    ("昆明", "Kunming"),
    ("济南", "Jinan"),
    ("大连", "Dalian"),
    ("温州", "Wenzhou"),
)

# Chinese trade-name syllables: (characters, pinyin for the web address).
CN_BRANDS: tuple[tuple[str, str], ...] = (
    ("华信", "huaxin"),
    ("金源", "jinyuan"),
    ("恒达", "hengda"),
    ("瑞丰", "ruifeng"),
    ("鑫盛", "xinsheng"),
    ("宏远", "hongyuan"),
    ("天成", "tiancheng"),
    ("永兴", "yongxing"),
    ("博达", "boda"),
    ("新宇", "xinyu"),
    ("汇通", "huitong"),
    ("嘉禾", "jiahe"),
    ("星辰", "xingchen"),
    ("智诚", "zhicheng"),
    ("润泽", "runze"),
    ("康宁", "kangning"),
    ("安泰", "antai"),
    ("福瑞", "furui"),
    ("鼎盛", "dingsheng"),
    ("正阳", "zhengyang"),
    ("和信", "hexin"),
    ("德盛", "desheng"),
    ("海川", "haichuan"),
    ("远航", "yuanhang"),
)

CEE_CITIES: dict[str, tuple[str, ...]] = {
    "AL": ("Tiranë", "Durrës", "Vlorë", "Shkodër", "Elbasan", "Korçë"),
    "BA": ("Sarajevo", "Tuzla", "Zenica", "Mostar", "Bihać", "Travnik"),
    "BG": ("Sofia", "Plovdiv", "Varna", "Burgas", "Ruse", "Stara Zagora"),
    "HR": ("Zagreb", "Split", "Rijeka", "Osijek", "Zadar", "Varaždin"),
    "CZ": ("Praha", "Brno", "Ostrava", "Plzeň", "Liberec", "Olomouc", "Zlín"),
    "EE": ("Tallinn", "Tartu", "Pärnu", "Narva", "Viljandi"),
    "GR": ("Athens", "Thessaloniki", "Patras", "Heraklion", "Larissa", "Volos"),
    "HU": ("Budapest", "Debrecen", "Szeged", "Győr", "Pécs", "Miskolc", "Kecskemét"),
    "LV": ("Rīga", "Daugavpils", "Liepāja", "Jelgava", "Ventspils"),
    "LT": ("Vilnius", "Kaunas", "Klaipėda", "Šiauliai", "Panevėžys"),
    "ME": ("Podgorica", "Nikšić", "Bar", "Kotor", "Budva"),
    "MK": ("Skopje", "Bitola", "Ohrid", "Kumanovo", "Tetovo", "Štip"),
    "PL": (
        "Warszawa",
        "Kraków",
        "Wrocław",
        "Poznań",
        "Gdańsk",
        "Łódź",
        "Lublin",
        "Olsztyn",
        "Rzeszów",
    ),
    "RO": ("București", "Cluj-Napoca", "Timișoara", "Iași", "Constanța", "Brașov"),
    "RS": ("Beograd", "Novi Sad", "Niš", "Kragujevac", "Subotica", "Čačak"),
    "SK": ("Bratislava", "Košice", "Žilina", "Nitra", "Banská Bystrica", "Trnava"),
    "SI": ("Ljubljana", "Maribor", "Celje", "Kranj", "Koper", "Novo mesto"),
}

# Cities of the Republika Srpska, for Bosnian companies that write Serbian Cyrillic.
BA_SERBIAN_CITIES: tuple[str, ...] = ("Banja Luka", "Bijeljina", "Trebinje", "Doboj")

# Regional words that local firms like to put in their names.
CEE_NAME_ROOTS: dict[str, tuple[str, ...]] = {
    "AL": ("Iliria", "Drini", "Vjosa", "Tomorri", "Dajti", "Adriatik"),
    "BA": ("Bosna", "Neretva", "Una", "Drina", "Vranica", "Igman"),
    "BG": ("Balkan", "Rila", "Pirin", "Rodopi", "Trakia", "Dunav", "Struma"),
    "HR": ("Jadran", "Dalma", "Zagorje", "Istra", "Slavonija", "Velebit"),
    "CZ": ("Morava", "Bohemia", "Šumava", "Vltava", "Haná", "Krkonoše"),
    "EE": ("Emajõe", "Saare", "Peipsi", "Virumaa", "Läänemere", "Pärnu"),
    "GR": ("Olympos", "Aegean", "Hellas", "Thessalia", "Kriti", "Ionio"),
    "HU": ("Tisza", "Duna", "Mátra", "Balaton", "Alföld", "Pannon", "Bakony"),
    "LV": ("Daugava", "Gauja", "Kurzeme", "Latgale", "Vidzeme", "Baltik"),
    "LT": ("Nemunas", "Neris", "Baltija", "Žemaitija", "Dzūkija", "Aukštaitija"),
    "ME": ("Lovćen", "Durmitor", "Tara", "Boka", "Morača", "Sinjajevina"),
    "MK": ("Vardar", "Ohrid", "Pelister", "Makedon", "Šar", "Babuna"),
    "PL": ("Mazur", "Wisła", "Polan", "Bałtyk", "Tatra", "Warta", "Sudety", "Kujawy"),
    "RO": ("Carpați", "Mureș", "Olt", "Transilvania", "Bucovina", "Siret"),
    "RS": ("Morava", "Šumadija", "Srem", "Zlatibor", "Vojvodina", "Rudnik"),
    "SK": ("Tatra", "Váh", "Hron", "Liptov", "Orava", "Fatra"),
    "SI": ("Triglav", "Sava", "Pohorje", "Soča", "Kras", "Kovino"),
}

# Legal forms: (form, True if it precedes the name as in "SIA Daugava Wood").
LEGAL_FORMS: dict[str, tuple[tuple[str, bool], ...]] = {
    "AL": (("sh.p.k.", False), ("sh.a.", False)),
    "BA": (("d.o.o.", False),),
    "BG": (("OOD", False), ("EOOD", False), ("AD", False)),
    "HR": (("d.o.o.", False), ("d.d.", False)),
    "CZ": (("s.r.o.", False), ("a.s.", False)),
    "EE": (("OÜ", False), ("AS", False)),
    "GR": (("S.A.", False), ("IKE", False)),
    "HU": (("Kft.", False), ("Zrt.", False), ("Bt.", False)),
    "LV": (("SIA", True), ("AS", True)),
    "LT": (("UAB", True), ("AB", True)),
    "ME": (("d.o.o.", False),),
    "MK": (("DOOEL", False), ("DOO", False)),
    "PL": (("Sp. z o.o.", False), ("S.A.", False), ("sp.j.", False)),
    "RO": (("S.R.L.", False), ("S.A.", False)),
    "RS": (("d.o.o.", False), ("a.d.", False)),
    "SK": (("s.r.o.", False), ("a.s.", False)),
    "SI": (("d.o.o.", False), ("d.d.", False)),
}

PHONE_PREFIXES: dict[str, str] = {
    "CN": "+86",
    "AL": "+355",
    "BA": "+387",
    "BG": "+359",
    "HR": "+385",
    "CZ": "+420",
    "EE": "+372",
    "GR": "+30",
    "HU": "+36",
    "LV": "+371",
    "LT": "+370",
    "ME": "+382",
    "MK": "+389",
    "PL": "+48",
    "RO": "+40",
    "RS": "+381",
    "SK": "+421",
    "SI": "+386",
}
