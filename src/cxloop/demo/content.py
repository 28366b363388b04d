"""Static content of the demo company 云启科技 CloudLaunch: its departments and staff, the names its
customers' companies and people are made of, and its six surveys (published from the survey
templates in ``core.survey_templates``). Comment text lives in ``comments*.py``; the zh-Hans → zh-Hant
table in ``hant.py``.

Everything here is plain data: the generator draws from it with its own seeded random generator.
"""

from __future__ import annotations

from dataclasses import dataclass

EMAIL_DOMAIN = "cloudlaunch.example"

# --- CloudLaunch's departments and staff ----------------------------------------------------------


@dataclass(frozen=True)
class TeamSpec:
    key: str  # also the TeamKind value
    kind: str
    name: str
    description: str


TEAMS: tuple[TeamSpec, ...] = (
    TeamSpec("product", "product", "产品部 Product", "产品规划、研发与发布，负责云启协同与云启报表。"),
    TeamSpec("support", "support", "客户支持部 Support", "7×12 小时技术支持：工单、电话、企业微信群。"),
    TeamSpec("marketing", "marketing", "市场部 Marketing", "品牌、活动与线索培育。"),
    TeamSpec("sales", "sales", "销售部 Sales", "新客户签约与续费、增购。"),
    TeamSpec(
        "customer_success", "customer_success", "客户成功部 Customer Success",
        "实施上线、培训、客户健康度与续约风险管理。",
    ),
    TeamSpec("finance", "finance", "财务部 Finance", "合同、账单、发票与回款。"),
    TeamSpec("hr", "hr", "人力资源部 HR", "招聘、培训与员工体验。"),
    TeamSpec("cx", "custom", "CX 体验办公室", "客户体验项目管理：调研设计、指标口径与闭环治理。"),
)


@dataclass(frozen=True)
class StaffSpec:
    local: str  # e-mail local part
    name: str
    role: str
    team: str  # TeamSpec.key
    lead: bool = False
    title: str = ""


STAFF: tuple[StaffSpec, ...] = (
    StaffSpec("chen.siyuan", "陈思远", "admin", "cx", lead=True, title="客户体验负责人"),
    StaffSpec("david.miller", "David Miller", "analyst", "cx", title="CX Analyst"),
    StaffSpec("zhou.zihao", "周子豪", "analyst", "product", lead=True, title="产品总监"),
    StaffSpec("li.na", "李娜", "member", "support", lead=True, title="客户支持经理"),
    StaffSpec("wang.fang", "王芳", "member", "support", title="高级技术支持工程师"),
    StaffSpec("zhang.wei", "张伟", "member", "support", title="技术支持工程师"),
    StaffSpec("sun.ting", "孙婷", "analyst", "customer_success", lead=True, title="客户成功总监"),
    StaffSpec("emily.carter", "Emily Carter", "member", "customer_success", title="Customer Success Manager"),
    StaffSpec("liu.yang", "刘洋", "member", "marketing", lead=True, title="市场总监"),
    StaffSpec("zhao.lei", "赵磊", "member", "sales", lead=True, title="销售副总裁"),
    StaffSpec("huang.xiaolin", "黄晓琳", "viewer", "finance", lead=True, title="财务经理"),
    StaffSpec("wu.jing", "吴静", "viewer", "hr", lead=True, title="人力资源经理"),
)

# Support agents whose names appear on tickets (the first three are also users). ``quality`` shifts
# the CSAT of their tickets: 王芳 is the team's star, 黄磊 the one customers complain about.
SUPPORT_AGENTS: tuple[tuple[str, str, float, float], ...] = (
    # name, language served, quality, weight
    ("王芳", "zh-hans", 0.30, 1.3),
    ("张伟", "zh-hans", 0.05, 1.2),
    ("李娜", "zh-hans", 0.15, 0.3),
    ("刘畅", "zh-hans", 0.0, 1.1),
    ("陈静", "zh-hans", 0.05, 1.0),
    ("杨帆", "zh-hans", -0.05, 1.0),
    ("赵敏", "zh-hans", 0.10, 0.9),
    ("黄磊", "zh-hans", -0.55, 1.0),
    ("周倩", "zh-hans", 0.0, 0.9),
    ("吴昊", "zh-hans", -0.10, 0.8),
    ("林嘉欣", "zh-hant", 0.15, 1.0),
    ("陳慧珊", "zh-hant", 0.0, 0.6),
    ("Kevin Ho", "en", 0.10, 1.0),
    ("Grace Lam", "en", 0.0, 0.6),
)

# How staff names read in an English comment.
LATIN_NAMES: dict[str, str] = {
    "王芳": "Wang Fang", "张伟": "Zhang Wei", "李娜": "Li Na", "刘畅": "Liu Chang", "陈静": "Chen Jing",
    "杨帆": "Yang Fan", "赵敏": "Zhao Min", "黄磊": "Huang Lei", "周倩": "Zhou Qian", "吴昊": "Wu Hao",
    "林嘉欣": "Karen Lam", "陳慧珊": "Shirley Chan", "孙婷": "Sun Ting", "郭晓雨": "Guo Xiaoyu", "马俊": "Ma Jun",
    "邓佳怡": "Deng Jiayi",
}

CSM_NAMES: tuple[str, ...] = ("孙婷", "Emily Carter", "郭晓雨", "马俊", "邓佳怡")
SALES_OWNERS: tuple[str, ...] = ("赵磊", "钱程", "高雅", "罗斌", "谢文杰")

# --- CloudLaunch's product -----------------------------------------------------------------------

# (key, label, share by tier: enterprise, mid_market, smb). "reporting" is 云启报表, whose export
# feature carries the demo's story.
MODULES: tuple[tuple[str, str, tuple[float, float, float]], ...] = (
    ("collaboration", "云启协同 Collaboration", (1.0, 1.0, 1.0)),
    ("reporting", "云启报表 Reports", (0.62, 0.46, 0.30)),
    ("workflow", "流程审批 Workflow", (0.80, 0.55, 0.35)),
    ("connectors", "数据连接器 Connectors", (0.60, 0.30, 0.10)),
    ("open_api", "开放平台 API", (0.55, 0.20, 0.05)),
)

PLANS: dict[str, str] = {
    "enterprise": "旗舰版 Enterprise", "mid_market": "专业版 Professional", "smb": "标准版 Standard",
}

# --- customers: regions and cities -----------------------------------------------------------------

# region, weight, cities (zh-Hans; 港澳台 converted to zh-Hant with the company name)
REGIONS: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("华东", 0.31, ("上海", "苏州", "杭州", "南京", "宁波", "无锡", "合肥", "厦门", "福州", "济南", "青岛", "常州")),
    ("华北", 0.17, ("北京", "天津", "石家庄", "太原", "呼和浩特", "唐山")),
    ("华南", 0.19, ("广州", "深圳", "东莞", "佛山", "珠海", "南宁", "海口", "中山")),
    ("华中", 0.09, ("武汉", "长沙", "郑州", "南昌", "宜昌", "洛阳")),
    ("西南", 0.08, ("成都", "重庆", "昆明", "贵阳", "绵阳")),
    ("西北", 0.03, ("西安", "兰州", "乌鲁木齐", "银川")),
    ("东北", 0.04, ("沈阳", "大连", "长春", "哈尔滨")),
    ("港澳台", 0.055, ("香港", "香港", "澳门", "台北", "新竹", "台中", "高雄")),
    ("Overseas", 0.035, ("Singapore", "Kuala Lumpur", "Frankfurt", "Tokyo", "Sydney", "Bangkok", "London")),
)

OVERSEAS_SUFFIX: dict[str, str] = {
    "Singapore": "Pte. Ltd.",
    "Kuala Lumpur": "Sdn. Bhd.",
    "Frankfurt": "GmbH",
    "Tokyo": "K.K.",
    "Sydney": "Pty Ltd",
    "Bangkok": "Co., Ltd.",
    "London": "Ltd",
}

# --- customers: industries and company names -------------------------------------------------------

# key, stored label, weight, zh business words, English business words
INDUSTRIES: tuple[tuple[str, str, float, tuple[str, ...], tuple[str, ...]], ...] = (
    ("manufacturing", "制造业 Manufacturing", 0.20,
     ("精密制造", "机械", "汽车零部件", "电子", "新材料", "智能装备", "模具", "电气"),
     ("Precision", "Automation", "Components", "Machinery", "Industries")),
    ("retail", "零售 Retail", 0.11,
     ("商贸", "连锁超市", "百货", "电子商务", "服饰", "家居"),
     ("Retail", "Trading", "Commerce", "Stores")),
    ("logistics", "物流 Logistics", 0.09,
     ("物流", "供应链管理", "国际货运代理", "仓储服务", "快运"),
     ("Logistics", "Freight", "Supply Chain")),
    ("finance", "金融 Financial services", 0.08,
     ("融资租赁", "保险经纪", "投资管理", "资产管理", "证券"),
     ("Capital", "Financial Services", "Asset Management")),
    ("education", "教育 Education", 0.07,
     ("教育科技", "职业培训", "文化传播", "教育咨询"),
     ("Learning", "Education")),
    ("healthcare", "医疗健康 Healthcare", 0.09,
     ("医疗器械", "医药", "生物科技", "健康管理", "医院管理"),
     ("Medical", "Healthcare", "Biotech")),
    ("technology", "互联网与软件 Technology", 0.11,
     ("信息技术", "网络科技", "数据科技", "软件", "智能科技"),
     ("Technologies", "Software", "Digital")),
    ("energy", "能源环保 Energy", 0.06,
     ("新能源", "电力工程", "环保科技", "光伏科技"),
     ("Energy", "Power", "Renewables")),
    ("real_estate", "建筑地产 Real estate", 0.06,
     ("建设工程", "置业", "物业服务", "建筑设计"),
     ("Properties", "Construction")),
    ("consumer", "消费品 Consumer goods", 0.08,
     ("食品", "饮料", "日化", "乳业", "家电"),
     ("Foods", "Consumer Brands", "Beverages")),
    ("professional", "专业服务 Professional services", 0.05,
     ("管理咨询", "人力资源服务", "会计服务", "广告传媒"),
     ("Consulting", "Advisory", "Partners")),
)

# Two-character trade names (字号) with pinyin for e-mail domains.
TRADE_NAMES: tuple[tuple[str, str], ...] = (
    ("恒瑞", "hengrui"), ("华信", "huaxin"), ("鼎盛", "dingsheng"), ("瑞丰", "ruifeng"), ("宏达", "hongda"),
    ("博远", "boyuan"), ("天成", "tiancheng"), ("金源", "jinyuan"), ("正和", "zhenghe"), ("嘉诚", "jiacheng"),
    ("永安", "yongan"), ("中联", "zhonglian"), ("海纳", "haina"), ("星辰", "xingchen"), ("远航", "yuanhang"),
    ("盛世", "shengshi"), ("润和", "runhe"), ("汇通", "huitong"), ("明德", "mingde"), ("锦程", "jincheng"),
    ("立诚", "licheng"), ("鑫达", "xinda"), ("华美", "huamei"), ("晨光", "chenguang"), ("东瑞", "dongrui"),
    ("卓越", "zhuoyue"), ("新元", "xinyuan"), ("国瑞", "guorui"), ("信鸿", "xinhong"), ("安信", "anxin"),
    ("德润", "derun"), ("凯瑞", "kairui"), ("百禾", "baihe"), ("同创", "tongchuang"), ("协力", "xieli"),
    ("华晟", "huasheng"), ("拓新", "tuoxin"), ("丰源", "fengyuan"), ("宏图", "hongtu"), ("蓝海", "lanhai"),
    ("青松", "qingsong"), ("启明", "qiming"), ("泰和", "taihe"), ("万嘉", "wanjia"), ("思创", "sichuang"),
    ("中瑞", "zhongrui"), ("佳泰", "jiatai"), ("朗晴", "langqing"), ("银杉", "yinshan"), ("长兴", "changxing"),
    ("浩辰", "haochen"), ("云帆", "yunfan"), ("聚力", "juli"), ("精诚", "jingcheng"), ("顺达", "shunda"),
    ("华腾", "huateng"), ("众鑫", "zhongxin"), ("至诚", "zhicheng"), ("睿智", "ruizhi"), ("创想", "chuangxiang"),
    ("和美", "hemei"), ("金桥", "jinqiao"), ("瀚海", "hanhai"), ("宇辰", "yuchen"), ("奥凯", "aokai"),
    ("诺思", "nuosi"), ("弘毅", "hongyi"), ("明辉", "minghui"), ("普惠", "puhui"), ("翔宇", "xiangyu"),
    ("新天地", "xintiandi"), ("鸿运", "hongyun"), ("德普", "depu"), ("中天", "zhongtian"), ("恒信", "hengxin"),
    ("凯盛", "kaisheng"), ("通达", "tongda"), ("华瑞", "huarui"), ("天宇", "tianyu"), ("安泰", "antai"),
)

EN_TRADE_NAMES: tuple[str, ...] = (
    "Apex", "Summit", "Bluewave", "Meridian", "Harbor", "Evergreen", "Northstar", "Silverline", "Crestview",
    "Lumina", "Orion", "Vantage", "Keystone", "Pioneer", "Atlas", "Nordlicht", "Pacific Rim", "Sakura",
    "Hartmann", "Brightwater", "Redwood", "Ironbridge", "Kestrel", "Mosaic",
)

# Foreign-invested firms in mainland China, named "<trade> <business> (<city>) Co., Ltd.".
CITY_EN: dict[str, str] = {
    "上海": "Shanghai", "苏州": "Suzhou", "杭州": "Hangzhou", "南京": "Nanjing", "宁波": "Ningbo",
    "无锡": "Wuxi", "北京": "Beijing", "天津": "Tianjin", "广州": "Guangzhou", "深圳": "Shenzhen",
    "东莞": "Dongguan", "佛山": "Foshan", "武汉": "Wuhan", "成都": "Chengdu", "重庆": "Chongqing",
    "大连": "Dalian", "西安": "Xi'an", "厦门": "Xiamen", "青岛": "Qingdao", "合肥": "Hefei",
}

# --- people ------------------------------------------------------------------------------------------

SURNAMES: tuple[tuple[str, str, float], ...] = (
    ("王", "wang", 7.1), ("李", "li", 7.0), ("张", "zhang", 6.7), ("刘", "liu", 5.3), ("陈", "chen", 4.5),
    ("杨", "yang", 3.1), ("黄", "huang", 2.2), ("赵", "zhao", 2.0), ("吴", "wu", 1.9), ("周", "zhou", 1.9),
    ("徐", "xu", 1.5), ("孙", "sun", 1.5), ("马", "ma", 1.5), ("朱", "zhu", 1.3), ("胡", "hu", 1.3),
    ("郭", "guo", 1.2), ("何", "he", 1.1), ("高", "gao", 1.0), ("林", "lin", 1.0), ("罗", "luo", 0.9),
    ("郑", "zheng", 0.9), ("梁", "liang", 0.9), ("谢", "xie", 0.8), ("宋", "song", 0.8), ("唐", "tang", 0.8),
    ("许", "xu", 0.7), ("韩", "han", 0.7), ("冯", "feng", 0.7), ("邓", "deng", 0.7), ("曹", "cao", 0.7),
    ("彭", "peng", 0.6), ("曾", "zeng", 0.6), ("肖", "xiao", 0.6), ("田", "tian", 0.6), ("董", "dong", 0.5),
    ("袁", "yuan", 0.5), ("潘", "pan", 0.5), ("于", "yu", 0.5), ("蒋", "jiang", 0.5), ("蔡", "cai", 0.5),
    ("余", "yu", 0.5), ("杜", "du", 0.5), ("叶", "ye", 0.5), ("程", "cheng", 0.5), ("苏", "su", 0.4),
    ("魏", "wei", 0.4), ("吕", "lv", 0.4), ("丁", "ding", 0.4), ("任", "ren", 0.4), ("沈", "shen", 0.4),
    ("姚", "yao", 0.4), ("卢", "lu", 0.4), ("姜", "jiang", 0.4), ("崔", "cui", 0.4), ("钟", "zhong", 0.4),
    ("谭", "tan", 0.3), ("陆", "lu", 0.3), ("汪", "wang", 0.3), ("范", "fan", 0.3), ("金", "jin", 0.3),
    ("石", "shi", 0.3), ("廖", "liao", 0.3), ("贾", "jia", 0.3), ("夏", "xia", 0.3), ("韦", "wei", 0.3),
    ("方", "fang", 0.3), ("白", "bai", 0.3), ("邹", "zou", 0.3), ("孟", "meng", 0.3), ("秦", "qin", 0.2),
    ("江", "jiang", 0.2), ("顾", "gu", 0.2), ("毛", "mao", 0.2), ("欧阳", "ouyang", 0.1), ("上官", "shangguan", 0.03),
)

GIVEN_NAMES: tuple[tuple[str, str], ...] = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("磊", "lei"), ("洋", "yang"),
    ("勇", "yong"), ("艳", "yan"), ("杰", "jie"), ("涛", "tao"), ("超", "chao"), ("婷", "ting"), ("颖", "ying"),
    ("斌", "bin"), ("鑫", "xin"), ("琳", "lin"), ("蕾", "lei"), ("昊", "hao"), ("璐", "lu"), ("倩", "qian"),
    ("浩然", "haoran"), ("子轩", "zixuan"), ("欣怡", "xinyi"), ("梓涵", "zihan"), ("思远", "siyuan"),
    ("晓东", "xiaodong"), ("建华", "jianhua"), ("志强", "zhiqiang"), ("海燕", "haiyan"), ("雪梅", "xuemei"),
    ("文博", "wenbo"), ("嘉怡", "jiayi"), ("宇航", "yuhang"), ("俊杰", "junjie"), ("佳琪", "jiaqi"),
    ("雨萱", "yuxuan"), ("明轩", "mingxuan"), ("晨曦", "chenxi"), ("婷婷", "tingting"), ("丹丹", "dandan"),
    ("鹏飞", "pengfei"), ("国栋", "guodong"), ("立新", "lixin"), ("永刚", "yonggang"), ("晓琳", "xiaolin"),
    ("建国", "jianguo"), ("红梅", "hongmei"), ("丽华", "lihua"), ("志明", "zhiming"), ("春燕", "chunyan"),
    ("晓峰", "xiaofeng"), ("海涛", "haitao"), ("慧敏", "huimin"), ("思琪", "siqi"), ("一鸣", "yiming"),
    ("子健", "zijian"), ("梦瑶", "mengyao"), ("诗涵", "shihan"), ("天宇", "tianyu"), ("博文", "bowen"),
    ("雅琴", "yaqin"), ("凯文", "kaiwen"), ("家豪", "jiahao"), ("晓雯", "xiaowen"), ("振华", "zhenhua"),
    ("少华", "shaohua"), ("玉兰", "yulan"), ("文静", "wenjing"), ("俊峰", "junfeng"), ("秀丽", "xiuli"),
    ("宏伟", "hongwei"), ("亚楠", "yanan"), ("若曦", "ruoxi"), ("泽宇", "zeyu"), ("雨桐", "yutong"),
    ("浩宇", "haoyu"), ("晓光", "xiaoguang"), ("美玲", "meiling"), ("建军", "jianjun"), ("雪莹", "xueying"),
)

# 港澳台 people: (surname, given name, romanised e-mail local part). Hong Kong staff often use an
# English given name at work ("kelvin.chan"); Taiwan uses Wade–Giles-style romanisation.
HK_PEOPLE: tuple[tuple[str, str, str], ...] = (
    ("陳", "家明", "kelvin.chan"), ("黃", "嘉欣", "karen.wong"), ("張", "志偉", "chiwai.cheung"),
    ("李", "詠詩", "wingsze.lee"), ("劉", "俊傑", "jason.lau"), ("吳", "美玲", "mayling.ng"),
    ("梁", "偉明", "raymond.leung"), ("何", "綺雯", "yvonne.ho"), ("鄭", "浩文", "homan.cheng"),
    ("郭", "凱琳", "kathy.kwok"), ("曾", "子聰", "tszchung.tsang"), ("羅", "慧儀", "winnie.law"),
    ("馮", "嘉儀", "kayee.fung"), ("麥", "浩然", "marco.mak"), ("歐陽", "敏儀", "cindy.auyeung"),
    ("譚", "家俊", "kenneth.tam"), ("蕭", "詠欣", "vivian.siu"),
)
TW_PEOPLE: tuple[tuple[str, str, str], ...] = (
    ("林", "志豪", "chihhao.lin"), ("王", "怡君", "yichun.wang"), ("蔡", "家豪", "chiahao.tsai"),
    ("楊", "雅婷", "yating.yang"), ("許", "冠宇", "kuanyu.hsu"), ("謝", "宜蓁", "yichen.hsieh"),
    ("周", "建宏", "chienhung.chou"), ("葉", "佩珊", "peishan.yeh"), ("簡", "志明", "chihming.chien"),
    ("黃", "淑芬", "shufen.huang"), ("陳", "冠廷", "kuanting.chen"), ("賴", "育誠", "yucheng.lai"),
    ("張", "雅雯", "yawen.chang"), ("李", "承翰", "chenghan.lee"), ("吳", "佳蓉", "chiajung.wu"),
)
TW_CITIES: frozenset[str] = frozenset({"台北", "新竹", "台中", "高雄"})

# English-speaking contacts: name pools by background, and which backgrounds each city draws on.
EN_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "anglo": (
        ("James", "Sarah", "Daniel", "Michael", "Emma", "Oliver", "Sophie", "Thomas", "Laura", "Ben", "Chloe",
         "Marcus", "Hannah", "Jack", "Grace", "Nina"),
        ("Wilson", "Brown", "Taylor", "Smith", "Clarke", "Hughes", "Walker", "Harris", "Evans", "Wright"),
    ),
    "german": (
        ("Lukas", "Anna", "Felix", "Katrin", "Jonas", "Julia", "Stefan", "Miriam"),
        ("Schmidt", "Müller", "Weber", "Becker", "Fischer", "Wagner", "Hoffmann"),
    ),
    "japanese": (
        ("Hiroshi", "Yuki", "Kenji", "Aiko", "Takashi", "Naoko"),
        ("Sato", "Tanaka", "Yamamoto", "Suzuki", "Watanabe", "Ito"),
    ),
    "singaporean": (
        ("Wei Jie", "Mei Ling", "Jun Hao", "Hui Min", "Daniel", "Rachel"),
        ("Tan", "Koh", "Lim", "Ng", "Wong", "Lee", "Teo"),
    ),
    "malay": (("Ahmad", "Siti", "Farid", "Nur Aisyah"), ("Ibrahim", "Rahman", "Hassan", "Abdullah")),
    "indian": (("Rajesh", "Priya", "Arjun", "Deepa"), ("Nair", "Kumar", "Menon", "Iyer")),
    "thai": (("Somchai", "Ploy", "Nattapong", "Siriporn"), ("Srisuk", "Chaiyaporn", "Wongsakul", "Rattanakul")),
}
EN_NAME_MIX: dict[str, tuple[tuple[str, float], ...]] = {
    "Singapore": (("singaporean", 0.6), ("indian", 0.15), ("malay", 0.1), ("anglo", 0.15)),
    "Kuala Lumpur": (("malay", 0.45), ("singaporean", 0.3), ("indian", 0.15), ("anglo", 0.1)),
    "Frankfurt": (("german", 0.85), ("anglo", 0.15)),
    "Tokyo": (("japanese", 0.85), ("anglo", 0.15)),
    "Sydney": (("anglo", 0.8), ("indian", 0.1), ("singaporean", 0.1)),
    "Bangkok": (("thai", 0.8), ("anglo", 0.2)),
    "London": (("anglo", 0.8), ("indian", 0.2)),
    "": (("anglo", 0.5), ("german", 0.25), ("japanese", 0.1), ("singaporean", 0.15)),  # anywhere else
}

# Mainland mobile number prefixes.
MOBILE_PREFIXES: tuple[str, ...] = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155", "156",
    "157", "158", "159", "166", "176", "177", "178", "180", "181", "182", "183", "185", "186", "187", "188",
    "189", "191", "198", "199",
)

# Job titles by stakeholder role (zh-Hans; converted for zh-Hant contacts) and in English.
TITLES: dict[str, tuple[str, ...]] = {
    "decision_maker": (
        "总经理", "副总经理", "首席信息官", "IT总监", "财务总监", "运营总监", "信息中心主任", "首席运营官",
        "数字化转型负责人", "人力资源总监",
    ),
    "influencer": (
        "IT经理", "系统管理员", "财务经理", "运营经理", "项目经理", "信息化主管", "数据分析主管", "采购经理",
    ),
    "user": (
        "财务专员", "数据分析师", "运营专员", "人事专员", "销售助理", "行政主管", "会计", "客服主管",
        "产品经理", "市场专员", "区域销售经理", "仓储主管", "项目助理", "出纳",
    ),
}
TITLES_EN: dict[str, tuple[str, ...]] = {
    "decision_maker": ("Managing Director", "CIO", "Head of IT", "CFO", "VP Operations", "COO"),
    "influencer": ("IT Manager", "Systems Administrator", "Finance Manager", "Operations Manager",
                   "Project Manager"),
    "user": ("Data Analyst", "Finance Executive", "Operations Executive", "HR Executive", "Sales Coordinator",
             "Accountant", "Office Manager"),
}
# Stakeholder roles beyond the three that drive the simulated answers (``ContactInfo.role``): a decision
# maker who holds the budget is the account's economic buyer (finance heads and general managers most
# often), and an influencer who runs the product day to day — above all the product admin — its champion.
# (chance for a finance / general-management title, for any other decision maker)
ECONOMIC_BUYER_TITLES: frozenset[str] = frozenset({
    "总经理", "财务总监", "首席运营官", "副总经理", "CFO", "Managing Director", "COO",
})
ECONOMIC_BUYER_CHANCE: tuple[float, float] = (0.8, 0.12)
# chance an influencer is the champion: the product admin (the account's second contact), another influencer,
# a user (a power user)
CHAMPION_CHANCE: tuple[float, float, float] = (0.6, 0.15, 0.04)
# Demo staff who are the owner CSM of the accounts whose ``attributes["csm"]`` names them (the other CSMs
# in CSM_NAMES have no cxloop sign-in).
CSM_USERS: tuple[str, ...] = ("sun.ting", "emily.carter")

# A contact's department follows from their title: (keywords, zh-Hans department, English).
DEPARTMENT_RULES: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("财务", "会计", "出纳", "CFO", "Finance", "Accountant"), "财务部", "Finance"),
    (("IT", "信息", "系统", "CIO", "Systems"), "信息技术部", "IT"),
    (("人力", "人事", "HR"), "人力资源部", "HR"),
    (("销售", "Sales"), "销售部", "Sales"),
    (("市场",), "市场部", "Marketing"),
    (("采购",), "采购部", "Procurement"),
    (("总经理", "首席运营官", "数字化", "Managing Director", "COO"), "总经办", "Management"),
)
DEFAULT_DEPARTMENT: tuple[str, str] = ("运营部", "Operations")

# --- surveys -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoSurvey:
    key: str  # the generator's handle: "nps", "csat", "ces", "sus", "umux", "acsi"
    name: str
    kind: str  # SurveyKind
    touchpoint: str
    owner_team: str  # TeamSpec.key
    template: str  # the survey template (``core.survey_templates``) its definition is published from


SURVEYS: tuple[DemoSurvey, ...] = (
    DemoSurvey("nps", "关系型 NPS 季度调研 Relationship NPS", "nps", "relationship", "cx", "nps"),
    DemoSurvey("csat", "支持工单满意度 Post-support CSAT", "csat", "support", "support", "csat_support"),
    DemoSurvey("ces", "入门引导费力度 Onboarding CES", "ces", "onboarding", "customer_success", "ces_onboarding"),
    DemoSurvey("sus", "产品可用性 SUS", "sus", "in_app", "product", "sus"),
    DemoSurvey("umux", "产品内快速体验调研 UMUX-Lite", "umux_lite", "in_app", "product", "umux_lite"),
    DemoSurvey("acsi", "年度客户满意度调研 ACSI", "acsi", "relationship", "cx", "acsi"),
)

# Onboarding milestones after which the CES survey is shown (embedded "milestone").
CES_MILESTONES: tuple[tuple[str, float], ...] = (
    ("workspace_created", 1.0), ("members_invited", 1.2), ("data_source_connected", 1.0),
    ("first_report_published", 0.9), ("workflow_configured", 0.8), ("sso_configured", 0.4),
)

# Support ticket categories (embedded "category") with their baseline share.
TICKET_CATEGORIES: tuple[tuple[str, float], ...] = (
    ("howto", 0.25), ("bug", 0.16), ("login", 0.11), ("billing", 0.10), ("performance", 0.09),
    ("data_import", 0.09), ("integration", 0.08), ("export", 0.05), ("account", 0.07),
)
TICKET_PRIORITIES: tuple[tuple[str, float], ...] = (("P1", 0.04), ("P2", 0.18), ("P3", 0.52), ("P4", 0.26))

SUS_PLATFORMS: tuple[tuple[str, float], ...] = (("web", 0.62), ("desktop", 0.18), ("ios", 0.1), ("android", 0.1))

# Channels by survey and contact language: (channel, weight).
CHANNELS: dict[str, dict[str, tuple[tuple[str, float], ...]]] = {
    "nps": {
        "zh-hans": (("email", 0.55), ("wechat", 0.25), ("sms", 0.08), ("link", 0.12)),
        "zh-hant": (("email", 0.75), ("link", 0.2), ("sms", 0.05)),
        "en": (("email", 0.85), ("link", 0.15)),
    },
    "csat": {
        "zh-hans": (("email", 0.4), ("wechat", 0.35), ("link", 0.15), ("sms", 0.1)),
        "zh-hant": (("email", 0.7), ("link", 0.25), ("sms", 0.05)),
        "en": (("email", 0.8), ("link", 0.2)),
    },
    "ces": {
        "zh-hans": (("in_app", 0.5), ("email", 0.35), ("wechat", 0.15)),
        "zh-hant": (("in_app", 0.55), ("email", 0.45)),
        "en": (("in_app", 0.55), ("email", 0.45)),
    },
    "sus": {"zh-hans": (("in_app", 1.0),), "zh-hant": (("in_app", 1.0),), "en": (("in_app", 1.0),)},
    "umux": {"zh-hans": (("in_app", 1.0),), "zh-hant": (("in_app", 1.0),), "en": (("in_app", 1.0),)},
    "acsi": {
        "zh-hans": (("email", 0.6), ("wechat", 0.25), ("link", 0.15)),
        "zh-hant": (("email", 0.8), ("link", 0.2)),
        "en": (("email", 0.85), ("link", 0.15)),
    },
}

# The "Other (please specify)" texts of the onboarding CES question ``help_used``, by language.
HELP_OTHER: dict[str, tuple[str, ...]] = {
    "zh-hans": ("客户成功经理远程协助", "同行推荐的视频教程", "实施顾问驻场", "B站上的教程视频", "合作伙伴帮忙配置"),
    "zh-hant": (
        "客戶成功經理遠端協助", "同業推薦的影片教學", "導入顧問到場協助", "YouTube 上的教學影片", "合作夥伴協助設定",
    ),
    "en": ("Our customer success manager", "Video tutorials a peer recommended", "An implementation partner",
           "YouTube tutorials"),
}
