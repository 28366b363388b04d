"""Ready-to-use survey definitions in zh-hans, zh-hant and en.

``TEMPLATES[name]()`` returns a fresh, compact definition (a plain dict that ``survey_spec.parse`` accepts; the
standard anchors and SUS/UMUX-Lite wording are left to the parser's defaults). ``template(name)`` returns the
canonical form with everything written out, which is what a new survey should store. Each definition has a
``name`` and a ``description`` in the three languages.

Question keys are stable and meaningful so analyses can rely on them: ``ACSI_CONSTRUCTS`` maps each ACSI model
construct to its question keys, for a driver analysis.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cxloop.core.survey_spec import parse, to_dict

Definition = dict[str, Any]


def _t(zh_hans: str, zh_hant: str, en: str) -> dict[str, str]:
    return {"zh-hans": zh_hans, "zh-hant": zh_hant, "en": en}


_ALL = ["zh-hans", "zh-hant", "en"]


def _rating10(key: str, text: dict[str, str], low: dict[str, str], high: dict[str, str], **extra: Any) -> Definition:
    return {
        "key": key,
        "type": "rating",
        "text": text,
        "scale_min": 1,
        "scale_max": 10,
        "labels": {1: dict(low), 10: dict(high)},  # copies: callers may change what they get
        "required": True,
        **extra,
    }


def _comment(key: str, text: dict[str, str], **extra: Any) -> Definition:
    return {"key": key, "type": "open_text", "text": text, "multiline": True, "max_length": 5000, **extra}


# --- NPS ---------------------------------------------------------------------------------------------------


def nps() -> Definition:
    return {
        "name": _t("关系型 NPS（净推荐值）", "關係型 NPS（淨推薦值）", "Relationship NPS"),
        "description": _t(
            "定期了解客户向他人推荐我们的意愿（0–10 分），并按推荐者、中立者、贬损者分别追问原因。",
            "定期了解客戶向他人推薦我們的意願（0–10 分），並依推薦者、中立者、批評者分別追問原因。",
            "Asks how likely customers are to recommend you (0–10), then asks promoters, passives and detractors "
            "a follow-up question worded for each.",
        ),
        "title": _t("您的意见对我们很重要", "您的意見對我們很重要", "We value your feedback"),
        "default_language": "zh-hans",
        "languages": _ALL,
        "intro": _t(
            "只需 1 分钟，帮助我们做得更好。",
            "只要 1 分鐘，就能幫助我們做得更好。",
            "It takes about a minute and helps us do better.",
        ),
        "thank_you": _t(
            "感谢您的反馈！我们会认真阅读每一条意见。",
            "謝謝您的回饋！我們會仔細閱讀每一則意見。",
            "Thank you for your feedback! We read every response.",
        ),
        "pages": [
            {
                "key": "score",
                "questions": [
                    {
                        "key": "nps",
                        "type": "nps",
                        "text": _t(
                            "您向朋友或同事推荐我们的可能性有多大？",
                            "您有多大的可能會向朋友或同事推薦我們？",
                            "How likely are you to recommend us to a friend or colleague?",
                        ),
                        "required": True,
                    }
                ],
            },
            {
                "key": "reason",
                "title": _t("您的评分：{{answer:nps}} 分", "您的評分：{{answer:nps}} 分", "Your score: {{answer:nps}}"),
                "questions": [
                    _comment(
                        "reason_detractor",
                        _t(
                            "很抱歉没能让您满意。您觉得我们最需要改进的是什么？",
                            "很抱歉沒能讓您滿意。您覺得我們最需要改進的是什麼？",
                            "We're sorry we let you down. What should we improve most?",
                        ),
                        display_if={"question": "nps", "op": "lte", "value": 6},
                    ),
                    _comment(
                        "reason_passive",
                        _t(
                            "感谢您的评分！我们怎样做才能让您更愿意推荐我们？",
                            "謝謝您的評分！我們要怎麼做，才能讓您更願意推薦我們？",
                            "Thanks for your rating! What would make you more likely to recommend us?",
                        ),
                        display_if={
                            "all": [
                                {"question": "nps", "op": "gte", "value": 7},
                                {"question": "nps", "op": "lte", "value": 8},
                            ]
                        },
                    ),
                    _comment(
                        "reason_promoter",
                        _t(
                            "很高兴您愿意推荐我们！您最喜欢我们哪一点？",
                            "很高興您願意推薦我們！您最喜歡我們哪一點？",
                            "Glad to hear it! What do you like most about us?",
                        ),
                        display_if={"question": "nps", "op": "gte", "value": 9},
                    ),
                    {
                        "key": "contact_consent",
                        "type": "consent",
                        "text": _t(
                            "我同意你们就这次的反馈与我联系。",
                            "我同意你們就這次的意見與我聯絡。",
                            "You may contact me about my feedback.",
                        ),
                        "help": _t(
                            "我们只会为了跟进这次反馈而联系您。",
                            "我們只會為了後續處理這次的意見而與您聯絡。",
                            "We will only contact you to follow up on this feedback.",
                        ),
                    },
                ],
            },
        ],
    }


# --- support CSAT ------------------------------------------------------------------------------------------


def csat_support() -> Definition:
    return {
        "name": _t("客服满意度（CSAT）", "客服滿意度（CSAT）", "Support satisfaction (CSAT)"),
        "description": _t(
            "在客服工单关闭后发送：了解客户对本次服务的满意度、问题是否解决，以及做得好和需要改进的地方。"
            "工单号、客服人员和问题类别作为隐藏字段随链接传入。",
            "在客服案件結案後發送：了解顧客對這次服務的滿意度、問題是否解決，以及做得好與需要改進的地方。"
            "案件編號、客服人員與問題類別會以隱藏欄位隨連結帶入。",
            "Sent when a support ticket is closed: satisfaction with the support, whether the issue was resolved, "
            "what went well and what to improve. Ticket id, agent and category arrive with the link as embedded "
            "fields.",
        ),
        "title": _t("客服满意度调查", "客服滿意度調查", "How did we do?"),
        "default_language": "zh-hans",
        "languages": _ALL,
        "intro": _t(
            "想听听您对工单 {{embedded:ticket_id}} 处理过程的感受。",
            "想聽聽您對案件 {{embedded:ticket_id}} 處理過程的感受。",
            "We'd love to hear how ticket {{embedded:ticket_id}} went for you.",
        ),
        "thank_you": _t(
            "感谢您的反馈，这将帮助我们提供更好的服务。",
            "謝謝您的回饋，這能幫助我們提供更好的服務。",
            "Thank you! Your feedback helps us support you better.",
        ),
        "embedded": [
            {"key": "ticket_id", "label": _t("工单号", "案件編號", "Ticket ID"), "required": True, "source": "any"},
            {"key": "agent", "label": _t("客服人员", "客服人員", "Agent"), "source": "any"},
            {"key": "category", "label": _t("问题类别", "問題類別", "Category"), "source": "any"},
        ],
        "pages": [
            {
                "key": "rating",
                "questions": [
                    {
                        "key": "csat",
                        "type": "csat",
                        "text": _t(
                            "您对本次客服支持的整体满意度如何？",
                            "您對這次客服支援的整體滿意度如何？",
                            "Overall, how satisfied are you with the support you received?",
                        ),
                        "required": True,
                    },
                    {
                        "key": "resolved",
                        "type": "yes_no",
                        "text": _t("您的问题解决了吗？", "您的問題解決了嗎？", "Was your issue resolved?"),
                        "required": True,
                    },
                ],
            },
            {
                "key": "comments",
                "questions": [
                    _comment(
                        "went_well",
                        _t("哪些地方让您满意？", "哪些地方讓您滿意？", "What went well?"),
                        display_if={"question": "csat", "op": "gte", "value": 3},
                    ),
                    _comment(
                        "to_improve",
                        _t(
                            "我们还有哪些地方需要改进？",
                            "我們還有哪些地方需要改進？",
                            "What could we have done better?",
                        ),
                    ),
                ],
            },
        ],
    }


# --- onboarding CES ----------------------------------------------------------------------------------------


def ces_onboarding() -> Definition:
    return {
        "name": _t("上手体验（CES）", "導入體驗（CES）", "Onboarding effort (CES)"),
        "description": _t(
            "在客户开通约 30 天后发送：用 CES 2.0 衡量上手是否省力，并了解最费劲的环节和用到了哪些帮助。",
            "在顧客開通約 30 天後發送：以 CES 2.0 衡量導入過程是否省力，並了解最費力的環節與使用過的協助資源。",
            "Sent about 30 days after sign-up: CES 2.0 on how easy getting started was, the step that took most "
            "effort, and which kinds of help customers used.",
        ),
        "title": _t("上手体验调查", "導入體驗調查", "Getting started with us"),
        "default_language": "zh-hans",
        "languages": _ALL,
        "thank_you": _t(
            "感谢您的反馈！我们会据此改进新用户的上手体验。",
            "謝謝您的回饋！我們會據此改善新使用者的導入體驗。",
            "Thank you! We'll use your feedback to make getting started easier.",
        ),
        "embedded": [{"key": "plan", "label": _t("套餐", "方案", "Plan"), "source": "any"}],
        "pages": [
            {
                "key": "effort",
                "questions": [
                    {
                        "key": "ces",
                        "type": "ces",
                        "text": _t(
                            "贵公司让我能够轻松地上手并完成初始设置。",
                            "貴公司讓我能輕鬆上手並完成初始設定。",
                            "The company made it easy for me to get started and set things up.",
                        ),
                        "help": _t(
                            "请选择您对这句话的同意程度。",
                            "請選擇您對這句話的同意程度。",
                            "How much do you agree with this statement?",
                        ),
                        "scale_version": "ces2",
                        "required": True,
                    },
                    _comment(
                        "hardest_step",
                        _t(
                            "上手过程中，哪一步最费劲？",
                            "導入過程中，哪個步驟最費力？",
                            "Which part of getting started took the most effort?",
                        ),
                        display_if={"question": "ces", "op": "lte", "value": 4},
                    ),
                ],
            },
            {
                "key": "help",
                "questions": [
                    {
                        "key": "help_used",
                        "type": "multi_choice",
                        "text": _t(
                            "上手过程中，您用到了哪些帮助？（可多选）",
                            "導入過程中，您使用過哪些協助資源？（可複選）",
                            "Which kinds of help did you use while getting started? (Select all that apply)",
                        ),
                        "randomize": True,
                        "options": [
                            {"key": "docs", "text": _t("产品文档", "產品說明文件", "Product documentation")},
                            {"key": "in_app_guide", "text": _t("产品内引导", "產品內導覽", "In-product guides")},
                            {
                                "key": "training",
                                "text": _t("培训或上线辅导", "教育訓練或導入輔導", "Training or onboarding sessions"),
                            },
                            {"key": "support", "text": _t("客服支持", "客服支援", "Customer support")},
                            {"key": "community", "text": _t("用户社区", "使用者社群", "User community")},
                            {
                                "key": "other",
                                "text": _t("其他（请注明）", "其他（請註明）", "Other (please specify)"),
                                "fixed": True,
                                "specify": True,
                            },
                            {
                                "key": "none",
                                "text": _t("都没有用到", "都沒有使用", "None of these"),
                                "fixed": True,
                                "exclusive": True,
                            },
                        ],
                    },
                    _comment(
                        "suggestions",
                        _t(
                            "有什么能让上手过程更顺利？",
                            "有什麼能讓導入過程更順利？",
                            "What would have made getting started smoother?",
                        ),
                    ),
                ],
            },
        ],
    }


# --- SUS and UMUX-Lite -------------------------------------------------------------------------------------


def sus() -> Definition:
    return {
        "name": _t("系统可用性量表（SUS）", "系統易用性量表（SUS）", "System Usability Scale (SUS)"),
        "description": _t(
            "Brooke 的 10 题标准量表，按 1–5 分作答，换算为 0–100 分，用于评估产品的整体可用性。",
            "Brooke 的 10 題標準量表，以 1–5 分作答，換算為 0–100 分，用於評估產品的整體易用性。",
            "Brooke's standard ten-item questionnaire, answered 1–5 and scored 0–100, for a product's overall "
            "usability.",
        ),
        "title": _t("产品可用性调查", "產品易用性調查", "Usability questionnaire"),
        "default_language": "zh-hans",
        "languages": _ALL,
        "thank_you": _t("感谢您的参与！", "謝謝您的參與！", "Thank you for taking part!"),
        "pages": [
            {
                "key": "usability",
                "questions": [
                    {"key": "sus", "type": "sus", "required": True},
                    _comment(
                        "sus_comment",
                        _t(
                            "关于这个系统好不好用，您还有什么想说的吗？",
                            "關於這個系統好不好用，您還有什麼想說的嗎？",
                            "Anything else you'd like to tell us about using this system?",
                        ),
                    ),
                ],
            }
        ],
    }


def umux_lite() -> Definition:
    return {
        "name": _t("UMUX-Lite 可用性短量表", "UMUX-Lite 易用性短量表", "UMUX-Lite"),
        "description": _t(
            "Lewis 等人的两题短量表（1–7 分），可换算为与 SUS 可比的分数，适合在产品内快速调研。",
            "Lewis 等人的兩題短量表（1–7 分），可換算成與 SUS 相近的分數，適合在產品內快速調查。",
            "Lewis et al.'s two-item questionnaire (1–7), convertible to a SUS-comparable score; short enough for "
            "in-product surveys.",
        ),
        "title": _t("产品体验小调查", "產品體驗小調查", "A quick question about the product"),
        "default_language": "zh-hans",
        "languages": _ALL,
        "thank_you": _t("感谢您的反馈！", "謝謝您的回饋！", "Thanks for your feedback!"),
        "pages": [
            {
                "key": "usability",
                "questions": [
                    {"key": "umux_lite", "type": "umux_lite", "required": True},
                    _comment(
                        "umux_comment",
                        _t(
                            "有什么能让这个系统更好用？",
                            "有什麼能讓這個系統更好用？",
                            "What would make this system easier to use?",
                        ),
                    ),
                ],
            }
        ],
    }


# --- ACSI --------------------------------------------------------------------------------------------------

ACSI_CONSTRUCTS: dict[str, tuple[str, ...]] = {
    "expectations": ("acsi_expectation", "acsi_expectation_customisation", "acsi_expectation_reliability"),
    "perceived_quality": ("acsi_quality", "acsi_quality_customisation", "acsi_quality_reliability"),
    "perceived_value": ("acsi_value_price", "acsi_value_quality"),
    "satisfaction": ("acsi_satisfaction", "acsi_confirmation", "acsi_ideal"),  # the ACSI index itself
    "complaints": ("acsi_complaint", "acsi_complaint_handling"),
    "loyalty": ("acsi_repurchase", "acsi_price_tolerance"),
}

_MEETS_LOW = _t("很难满足", "很難滿足", "Not well at all")
_MEETS_HIGH = _t("完全满足", "完全滿足", "Very well")
_LIKELY_LOW = _t("非常不可能", "非常不可能", "Very unlikely")
_LIKELY_HIGH = _t("非常可能", "非常可能", "Very likely")


def acsi() -> Definition:
    return {
        "name": _t("ACSI 客户满意度调研", "ACSI 顧客滿意度調查", "ACSI-style relationship survey"),
        "description": _t(
            "按美国客户满意度指数（ACSI）模型设计：客户预期、感知质量、感知价值、整体满意度、投诉和忠诚度，"
            "均为 10 分制；题目代码固定，可直接用于驱动因素分析。",
            "依美國顧客滿意度指數（ACSI）模型設計：顧客期望、認知品質、認知價值、整體滿意度、顧客抱怨與忠誠度，"
            "皆為 10 分制；題目代碼固定，可直接用於驅動因素分析。",
            "Follows the American Customer Satisfaction Index model: expectations, perceived quality, perceived "
            "value, overall satisfaction, complaints and loyalty, on 10-point scales with stable question keys for "
            "driver analysis.",
        ),
        "title": _t("客户满意度调查", "顧客滿意度調查", "Customer satisfaction survey"),
        "default_language": "zh-hans",
        "languages": _ALL,
        "intro": _t(
            "请按 1–10 分作答，1 分最低，10 分最高，大约需要 3 分钟。",
            "請以 1–10 分作答，1 分最低、10 分最高，約需 3 分鐘。",
            "Please answer from 1 (lowest) to 10 (highest). It takes about 3 minutes.",
        ),
        "thank_you": _t(
            "感谢您抽出宝贵的时间！您的意见将帮助我们持续改进。",
            "謝謝您撥冗填答！您的意見將幫助我們持續改進。",
            "Thank you for your time! Your answers help us keep improving.",
        ),
        "pages": [
            {
                "key": "expectations",
                "title": _t("成为客户之前", "成為顧客之前", "Before you became a customer"),
                "questions": [
                    _rating10(
                        "acsi_expectation",
                        _t(
                            "在成为我们的客户之前，您对我们产品和服务的整体质量有怎样的预期？",
                            "在成為我們的顧客之前，您對我們產品與服務的整體品質有什麼樣的期望？",
                            "Before you became our customer, what did you expect the overall quality of our "
                            "products and services to be?",
                        ),
                        _t("预期非常低", "期望非常低", "Very low"),
                        _t("预期非常高", "期望非常高", "Very high"),
                    ),
                    _rating10(
                        "acsi_expectation_customisation",
                        _t(
                            "当时，您预期我们能在多大程度上满足您的个性化需求？",
                            "當時，您期望我們能在多大程度上滿足您的個別需求？",
                            "Back then, how well did you expect us to meet your personal requirements?",
                        ),
                        _MEETS_LOW,
                        _MEETS_HIGH,
                    ),
                    _rating10(
                        "acsi_expectation_reliability",
                        _t(
                            "当时，您预期我们的产品和服务会有多可靠？",
                            "當時，您預期我們的產品與服務會有多可靠？",
                            "Back then, how reliable did you expect our products and services to be?",
                        ),
                        _t("非常不可靠", "非常不可靠", "Very unreliable"),
                        _t("非常可靠", "非常可靠", "Very reliable"),
                    ),
                ],
            },
            {
                "key": "quality",
                "title": _t("您的使用体验", "您的使用經驗", "Your experience"),
                "questions": [
                    _rating10(
                        "acsi_quality",
                        _t(
                            "根据您的使用体验，您如何评价我们产品和服务的整体质量？",
                            "根據您的使用經驗，您如何評價我們產品與服務的整體品質？",
                            "Based on your experience, how would you rate the overall quality of our products "
                            "and services?",
                        ),
                        _t("非常差", "非常差", "Very poor"),
                        _t("非常好", "非常好", "Excellent"),
                    ),
                    _rating10(
                        "acsi_quality_customisation",
                        _t(
                            "我们的产品和服务在多大程度上满足了您的个性化需求？",
                            "我們的產品與服務在多大程度上滿足了您的個別需求？",
                            "How well have our products and services met your personal requirements?",
                        ),
                        _MEETS_LOW,
                        _MEETS_HIGH,
                    ),
                    _rating10(
                        "acsi_quality_reliability",
                        _t(
                            "我们的产品和服务有多可靠（例如出问题的频率）？",
                            "我們的產品與服務有多可靠（例如出問題的頻率）？",
                            "How reliable have our products and services been (how often have things gone wrong)?",
                        ),
                        _t("经常出问题", "經常出問題", "Things go wrong very often"),
                        _t("从不出问题", "從不出問題", "Things never go wrong"),
                    ),
                ],
            },
            {
                "key": "value",
                "title": _t("价格与价值", "價格與價值", "Price and value"),
                "questions": [
                    _rating10(
                        "acsi_value_price",
                        _t(
                            "就您得到的质量而言，您如何评价所支付的价格？",
                            "就您得到的品質而言，您如何評價所支付的價格？",
                            "Given the quality you receive, how would you rate the price you pay?",
                        ),
                        _t("非常不划算", "非常不划算", "Very poor value"),
                        _t("非常划算", "非常划算", "Very good value"),
                    ),
                    _rating10(
                        "acsi_value_quality",
                        _t(
                            "就您支付的价格而言，您如何评价得到的质量？",
                            "就您支付的價格而言，您如何評價得到的品質？",
                            "Given the price you pay, how would you rate the quality you receive?",
                        ),
                        _t("质量非常差", "品質非常差", "Very poor quality for the price"),
                        _t("质量非常好", "品質非常好", "Very good quality for the price"),
                    ),
                ],
            },
            {
                "key": "satisfaction",
                "title": _t("整体评价", "整體評價", "Overall"),
                "questions": [
                    _rating10(
                        "acsi_satisfaction",
                        _t(
                            "综合各方面考虑，您对我们产品和服务的整体满意度如何？",
                            "綜合各方面考量，您對我們產品與服務的整體滿意度如何？",
                            "Considering all your experiences, how satisfied are you with our products and "
                            "services overall?",
                        ),
                        _t("非常不满意", "非常不滿意", "Very dissatisfied"),
                        _t("非常满意", "非常滿意", "Very satisfied"),
                    ),
                    _rating10(
                        "acsi_confirmation",
                        _t(
                            "与您的预期相比，我们的产品和服务表现如何？",
                            "和您的期望相比，我們的產品與服務表現如何？",
                            "To what extent have our products and services fallen short of or exceeded your "
                            "expectations?",
                        ),
                        _t("远低于预期", "遠低於期望", "Fall far short of expectations"),
                        _t("远超预期", "遠超過期望", "Far exceed expectations"),
                    ),
                    _rating10(
                        "acsi_ideal",
                        _t(
                            "请想象一下理想中的同类产品和服务。我们离这个理想有多近？",
                            "請想像一下理想中的同類產品與服務，我們和這個理想有多接近？",
                            "Imagine ideal products and services of this kind. How close do ours come to that "
                            "ideal?",
                        ),
                        _t("相差很远", "相差很遠", "Very far from ideal"),
                        _t("非常接近", "非常接近", "Very close to ideal"),
                    ),
                ],
            },
            {
                "key": "complaint",
                "title": _t("投诉", "客訴", "Complaints"),
                "questions": [
                    {
                        "key": "acsi_complaint",
                        "type": "yes_no",
                        "text": _t(
                            "在过去 12 个月里，您是否就我们的产品或服务投诉过？",
                            "過去 12 個月內，您是否曾針對我們的產品或服務提出客訴？",
                            "In the past 12 months, have you complained to us about our products or services?",
                        ),
                        "required": True,
                    }
                ],
            },
            {
                "key": "complaint_handling",
                "title": _t("投诉处理", "客訴處理", "Your complaint"),
                "questions": [
                    _rating10(
                        "acsi_complaint_handling",
                        _t(
                            "您最近一次投诉的处理情况如何？",
                            "您最近一次客訴的處理情況如何？",
                            "How well was your most recent complaint handled?",
                        ),
                        _t("处理得非常差", "處理得非常差", "Very poorly"),
                        _t("处理得非常好", "處理得非常好", "Very well"),
                        display_if={"question": "acsi_complaint", "op": "eq", "value": "yes"},
                    )
                ],
            },
            {
                "key": "loyalty",
                "title": _t("未来打算", "未來打算", "Looking ahead"),
                "questions": [
                    _rating10(
                        "acsi_repurchase",
                        _t(
                            "下次需要同类产品或服务时，您再次选择我们的可能性有多大？",
                            "下次需要同類產品或服務時，您再次選擇我們的可能性有多大？",
                            "The next time you need products or services like ours, how likely are you to "
                            "choose us again?",
                        ),
                        _LIKELY_LOW,
                        _LIKELY_HIGH,
                    ),
                    _rating10(
                        "acsi_price_tolerance",
                        _t(
                            "如果我们的价格上涨 10%，您继续选择我们的可能性有多大？",
                            "如果我們的價格調漲 10%，您繼續選擇我們的可能性有多大？",
                            "If our prices went up by 10%, how likely would you be to keep choosing us?",
                        ),
                        _LIKELY_LOW,
                        _LIKELY_HIGH,
                    ),
                    _comment(
                        "acsi_comment",
                        _t(
                            "还有什么想告诉我们的吗？",
                            "還有什麼想告訴我們的嗎？",
                            "Is there anything else you would like to tell us?",
                        ),
                    ),
                ],
            },
        ],
    }


TEMPLATES: dict[str, Callable[[], Definition]] = {
    "nps": nps,
    "csat_support": csat_support,
    "ces_onboarding": ces_onboarding,
    "sus": sus,
    "umux_lite": umux_lite,
    "acsi": acsi,
}


def template_names() -> list[str]:
    """The template keys, in the order a picker shows them."""
    return list(TEMPLATES)


def template(name: str) -> Definition:
    """The canonical definition of template ``name`` (a fresh dict; KeyError for an unknown name)."""
    return to_dict(parse(TEMPLATES[name]()))
