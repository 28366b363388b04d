"""The default CX codeframe: a starting point an organisation copies and edits (``parse_codeframe`` accepts it).

Two groups and two top-level themes::

    product                      产品 / 產品 / Product
      product/performance        速度与性能: 卡顿, 加载慢, 超时, lag, slow, times out
      product/bugs               故障与报错: 报错, 崩溃, 闪退, 当机, bug, error, crash
      product/usability          易用性: 难用, 复杂, 找不到, confusing, hard to use
      product/feature_requests   功能建议: 希望增加, 建议, feature request, please add
      product/export             导出: 导出, 匯出, 导出失败, csv, excel, export
      product/reporting          报表: 报表, 仪表盘, 图表, report, dashboard
    service                      服务 / 服務 / Service
      service/responsiveness     响应速度: 客服, 回复慢, 没人回复, 等待, response time, on hold
      service/attitude           服务态度: 态度, 耐心, 专业, rude, polite, patient
      service/onboarding         上手与实施: 上手, 培训, 配置, 实施, onboarding, setup, training
      service/documentation      文档与帮助: 文档, 帮助中心, 教程, documentation, tutorial
    price                        价格与计费: 价格, 计费, 续费, 发票, price, billing, invoice, refund
    delivery                     配送: 配送, 送达, 外卖, 快递, 骑手, delivery, courier

The keywords are meant to be precise rather than complete: a generic word (功能, 慢, 问题, support, slow
when it is about a person) either stays out or is fenced by exclusions. Two exclusions matter for the
food-delivery comments of the shared sentiment data: 超时 / 速度慢 next to 送餐 / 配送 (a late meal, not a
slow app) are vetoed for ``product/performance``, and 贵 in 贵公司 / 贵司 (a polite "your company") is
vetoed for ``price``. Traditional-script terms are listed where Taiwan and Hong Kong use another word
(匯出, 當機, 介面, 說明文件, 外送); where only the characters differ the matcher folds them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DEFAULT_CODEFRAME"]


def _theme(
    key: str,
    zh_hans: str,
    zh_hant: str,
    en: str,
    zh: list[str] | None = None,
    en_terms: list[str] | None = None,
    exclude_zh: list[str] | None = None,
    exclude_en: list[str] | None = None,
    description: str = "",
) -> dict[str, Any]:
    out: dict[str, Any] = {"key": key, "label": {"zh-hans": zh_hans, "zh-hant": zh_hant, "en": en}}
    if zh or en_terms:
        out["keywords"] = {"zh": list(zh or []), "en": list(en_terms or [])}
    if exclude_zh or exclude_en:
        out["exclude"] = {"zh": list(exclude_zh or []), "en": list(exclude_en or [])}
    if description:
        out["description"] = description
    return out


_DELIVERY_LATE_ZH = [
    "送餐超时", "配送超时", "送达超时", "外卖超时", "超时送达", "超时赔付", "骑手超时", "订单超时",
    "送餐速度", "配送速度", "送货速度", "上菜速度", "出餐速度", "出餐慢", "外送超時",
]

DEFAULT_CODEFRAME: dict[str, Any] = {
    "version": 1,
    "themes": [
        _theme("product", "产品", "產品", "Product", description="The product itself: how it works and what it does."),
        _theme(
            "product/performance",
            "速度与性能",
            "速度與效能",
            "Speed and performance",
            zh=[
                "卡顿", "很卡", "太卡", "好卡", "卡死", "卡住", "加载慢", "加载很慢", "加载不出", "载入", "读取很久",
                "打开慢", "打开很慢", "运行慢", "反应慢", "系统慢", "网页慢", "变慢", "超时", "逾时", "转圈", "延迟",
                "性能", "效能", "内存占用",
            ],
            en_terms=[
                "slow", "slowly", "slowness", "lag*", "loading", "load time", "slow to load", "takes forever",
                "timeout", "times out", "timed out", "time out", "sluggish", "latency", "performance", "freezes",
                "keeps freezing", "screen froze", "app froze", "unresponsive", "spinning wheel",
            ],
            exclude_zh=_DELIVERY_LATE_ZH,
            exclude_en=[
                "slow response", "slow to respond", "slow to reply", "slow reply", "slow support", "slow delivery",
                "delivery was slow", "slow courier", "slow rider", "responded slowly", "replied slowly",
            ],
            description="Slow pages, lag, freezes and time-outs in the product (not late deliveries or slow replies).",
        ),
        _theme(
            "product/bugs",
            "故障与报错",
            "故障與錯誤",
            "Bugs and errors",
            zh=[
                "报错", "出错", "错误提示", "错误代码", "系统错误", "系统崩溃", "软件崩溃", "程序崩溃",
                "闪退", "当机", "死机", "白屏", "系统异常", "故障", "一直失败", "导出失败", "登录失败", "支付失败",
                "加载失败", "上传失败", "保存失败", "同步失败", "提交失败", "下单失败", "打不开", "无法打开",
                "登录不了", "无法登录", "系统问题",
            ],
            en_terms=[
                "bug", "buggy", "error*", "crash*", "broken", "glitch*", "fail*", "doesn't work", "does not work",
                "not working", "stopped working", "won't load", "can't log in", "cannot log in", "500 error",
                "404", "exception",
            ],
            description="Errors, crashes and features that fail.",
        ),
        _theme(
            "product/usability",
            "易用性",
            "易用性",
            "Usability",
            zh=[
                "难用", "不好用", "好用", "易用", "复杂", "繁琐", "操作麻烦", "找不到", "不直观", "用起来不方便",
                "看不懂", "界面", "介面", "用户体验", "使用者体验", "操作复杂", "操作简单", "步骤太多",
            ],
            en_terms=[
                "hard to use", "difficult to use", "easy to use", "user friendly", "intuitive", "unintuitive",
                "confusing", "complicated", "cluttered", "can't find", "cannot find", "hard to find", "usability",
                "ui", "ux", "interface", "navigation", "too many clicks",
            ],
            exclude_zh=["找不到地方", "找不到位置", "找不到路", "找不到餐厅", "找不到地址", "找不到店", "找不到人"],
            description="How easy the product is to understand and use.",
        ),
        _theme(
            "product/feature_requests",
            "功能建议",
            "功能建議",
            "Feature requests",
            zh=[
                "希望增加", "希望能", "希望可以", "希望有", "希望支持", "建议增加", "建议", "新增功能", "增加功能",
                "新功能", "缺少功能", "没有这个功能", "功能需求", "能不能加", "能否增加", "如果能", "要是能", "加个",
            ],
            en_terms=[
                "feature request", "would be nice", "would love", "please add", "could you add", "i wish",
                "it would be great if", "it would be great to", "suggestion", "missing feature", "add support for",
                "new feature", "roadmap", "wishlist", "wish list",
            ],
            exclude_zh=["不建议", "建议大家", "建议不要", "建议别"],
            description="What customers ask the product to do next.",
        ),
        _theme(
            "product/export",
            "导出",
            "匯出",
            "Export",
            zh=[
                "导出", "汇出", "報表匯出", "报表导出", "导出失败", "导出数据", "导出excel", "导出csv", "下载报表",
                "下载数据", "导不出", "导出不了", "汇出失败", "表格下载",
            ],
            en_terms=[
                "export*", "csv", "excel", "xlsx", "spreadsheet", "download report", "download the report",
                "download data", "data download", "save as pdf",
            ],
            exclude_en=["export control", "export licence", "export license", "exporter", "excels", "excelled"],
            description="Exporting and downloading data and reports (CSV, Excel, PDF).",
        ),
        _theme(
            "product/reporting",
            "报表",
            "報表",
            "Reporting",
            zh=[
                "报表", "报告", "仪表盘", "仪表板", "看板", "图表", "统计数据", "数据分析", "分析报告", "趋势图",
                "可视化",
            ],
            en_terms=[
                "report", "reporting", "dashboard", "chart", "graph", "analytics", "statistics", "insights",
                "visualization", "visualisation", "kpi",
            ],
            exclude_en=["report a bug", "reported a bug", "bug report", "report an issue", "report the issue"],
            description="Reports, dashboards and charts.",
        ),
        _theme("service", "服务", "服務", "Service", description="The people and processes around the product."),
        _theme(
            "service/responsiveness",
            "响应速度",
            "回應速度",
            "Support responsiveness",
            zh=[
                "客服", "回复慢", "回复很慢", "回复太慢", "回覆", "没人回复", "没人理", "没人管", "无人回复", "响应",
                "回应", "打不通", "工单", "回电", "及时回复", "人工服务", "转人工", "售后",
            ],
            en_terms=[
                "customer service", "customer support", "support team", "support ticket", "helpdesk", "help desk",
                "response time", "slow response", "slow to respond", "no response", "no reply", "never replied",
                "never heard back", "get back to me", "got back to me", "on hold", "waiting", "wait time",
                "ticket", "live chat",
            ],
            description="How fast and how reliably support answers.",
        ),
        _theme(
            "service/attitude",
            "服务态度",
            "服務態度",
            "Staff attitude",
            zh=[
                "态度", "耐心", "不耐烦", "专业", "不专业", "礼貌", "没礼貌", "热情", "冷漠", "敷衍", "友好", "亲切",
                "客气", "服务周到", "服务很好", "服务差", "服务太差", "傲慢",
            ],
            en_terms=[
                "rude", "polite", "friendly", "unfriendly", "patient", "impatient", "attitude", "professional",
                "unprofessional", "courteous", "respectful", "dismissive", "arrogant", "helpful staff",
                "condescending",
            ],
            exclude_en=["user friendly", "kid friendly", "eco friendly", "budget friendly", "pet friendly"],
            description="How staff treat customers: courtesy, patience, professionalism.",
        ),
        _theme(
            "service/onboarding",
            "上手与实施",
            "上手與導入",
            "Onboarding and setup",
            zh=[
                "上手", "入门", "新手", "培训", "教育训练", "配置", "设定", "实施", "安装", "部署", "初始化",
                "开通", "迁移", "引导", "设置向导", "学习成本",
            ],
            en_terms=[
                "onboarding", "onboard*", "getting started", "get started", "setup", "set up", "training",
                "implementation", "configur*", "install*", "deploy*", "migration", "learning curve", "walkthrough",
            ],
            exclude_zh=["上手抓", "手抓饼"],
            description="Getting started: setup, configuration, implementation and training.",
        ),
        _theme(
            "service/documentation",
            "文档与帮助",
            "文件與說明",
            "Documentation and help",
            zh=[
                "文档", "帮助文档", "帮助中心", "教程", "视频教程", "说明书", "使用说明", "操作手册", "使用手册",
                "说明文件", "教学", "指南", "常见问题",
            ],
            en_terms=[
                "documentation", "docs", "help center", "help centre", "help article*", "tutorial*", "user guide",
                "user manual", "knowledge base", "how-to guide", "faq", "guides",
            ],
            description="Manuals, help articles, tutorials and FAQs.",
        ),
        _theme(
            "price",
            "价格与计费",
            "價格與計費",
            "Price and billing",
            zh=[
                "价格", "价钱", "价位", "贵", "便宜", "性价比", "收费", "计费", "扣费", "续费", "续约", "发票",
                "退款", "账单", "帐单", "付费", "订阅", "涨价", "优惠", "折扣", "配送费", "运费", "费用",
            ],
            en_terms=[
                "price*", "expensive", "cheap*", "cost*", "billing", "billed", "invoice*", "renewal", "renew*",
                "subscription*", "refund*", "overcharg*", "charged", "value for money", "discount*", "fee",
                "payment*", "pricey",
            ],
            exclude_zh=["贵公司", "贵司", "贵方", "贵平台", "贵店", "宝贵", "珍贵", "贵姓"],
            description="Price level, billing, renewals, invoices and refunds.",
        ),
        _theme(
            "delivery",
            "配送",
            "配送",
            "Delivery",
            zh=[
                "配送", "送达", "送到", "送餐", "送货", "外卖", "外送", "快递", "骑手", "外卖小哥", "送餐员",
                "配送员", "外送员", "派送", "物流", "宅配", "准时", "送晚了", "送得慢", "洒了", "撒了",
            ],
            en_terms=[
                "deliver*", "courier", "rider", "shipping", "shipped", "arrived late",
                "arrived cold", "on time", "dispatch*", "parcel", "spilled", "tracking number",
            ],
            description="Getting the order to the customer: couriers, timing, packaging on the way.",
        ),
    ],
}
