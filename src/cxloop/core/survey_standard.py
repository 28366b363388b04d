"""Standard wording for the standardised instruments, in zh-hans, zh-hant and en.

* SUS: the ten items of Brooke (1996), "SUS: a 'quick and dirty' usability scale", 1-5 agreement.
  The Chinese items are our translation, checked against published Chinese versions (sources at ``SUS_ITEMS``).
* UMUX-Lite: the two items of Lewis, Utesch & Maher (2013), 1-7 agreement.
* CES 2.0: the CEB/Gartner statement "The company made it easy for me to handle my issue.", 1-7 agreement.
* NPS (0-10) and CSAT (1-5) anchor labels.

``parse`` copies these into a definition when it leaves them out, and ``to_dict`` writes them back out, so a
stored survey version keeps its wording even if this file changes later.
"""

from __future__ import annotations

from cxloop.core.survey_model import NO, YES, Item, Option, Text


def _t(zh_hans: str, zh_hant: str, en: str) -> Text:
    return {"zh-hans": zh_hans, "zh-hant": zh_hant, "en": en}


NPS_LABELS: dict[int, Text] = {
    0: _t("完全不可能", "完全不可能", "Not at all likely"),
    10: _t("非常可能", "非常可能", "Extremely likely"),
}

CSAT_LABELS: dict[int, Text] = {
    1: _t("非常不满意", "非常不滿意", "Very dissatisfied"),
    2: _t("不满意", "不滿意", "Dissatisfied"),
    3: _t("一般", "普通", "Neither satisfied nor dissatisfied"),
    4: _t("满意", "滿意", "Satisfied"),
    5: _t("非常满意", "非常滿意", "Very satisfied"),
}

AGREE_7_LABELS: dict[int, Text] = {
    1: _t("非常不同意", "非常不同意", "Strongly disagree"),
    2: _t("不同意", "不同意", "Disagree"),
    3: _t("有点不同意", "有點不同意", "Somewhat disagree"),
    4: _t("中立", "普通", "Neither agree nor disagree"),
    5: _t("有点同意", "有點同意", "Somewhat agree"),
    6: _t("同意", "同意", "Agree"),
    7: _t("非常同意", "非常同意", "Strongly agree"),
}

AGREE_5_LABELS: dict[int, Text] = {
    1: _t("非常不同意", "非常不同意", "Strongly disagree"),
    2: _t("不同意", "不同意", "Disagree"),
    3: _t("中立", "普通", "Neither agree nor disagree"),
    4: _t("同意", "同意", "Agree"),
    5: _t("非常同意", "非常同意", "Strongly agree"),
}

# SUS and UMUX-Lite are presented with anchors at the ends only, as published.
SUS_LABELS: dict[int, Text] = {1: AGREE_5_LABELS[1], 5: AGREE_5_LABELS[5]}
UMUX_LITE_LABELS: dict[int, Text] = {1: AGREE_7_LABELS[1], 7: AGREE_7_LABELS[7]}

CES2_TEXT: Text = _t(
    "贵公司让我能够轻松处理我的问题。",
    "貴公司讓我能輕鬆處理我的問題。",
    "The company made it easy for me to handle my issue.",
)

AGREEMENT_INTRO: Text = _t(
    "请根据您使用这个系统的实际体验，选择您对以下每项陈述的同意程度。",
    "請依您使用這個系統的實際經驗，選擇您對以下每項敘述的同意程度。",
    "Based on your experience with this system, how much do you agree with each statement?",
)

# SUS (Brooke 1996). Odd items are positive, even items negative: the scoring (odd: x - 1, even: 5 - x) needs
# the tone of every translation to match the English, so the Chinese wording keeps each item's polarity and its
# hedges ("I think that I would …"). Checked (2026-11) against published Chinese versions:
#   * MUMIN's Traditional Chinese SUS, as quoted in "SUS 系統使用性量表 (System Usability Scale)",
#     https://htlintc.blogspot.com/2011/07/sus-system-usability-scale.html (also
#     https://slidesplayer.com/amp/17373099);
#   * the bilingual SUS form of CDR Lab, https://wylee-sudo.github.io/wenyuanlee/sus_measurment.html;
#   * the Taiwanese notes at http://xxc.idv.tw/dokuwiki/system_usability_scale;
#   * for the validated Chinese versions: Sheu, Fu & Shih (2017), "Pre-Testing the Chinese Version of the System
#     Usability Scale (C-SUS)", https://library.apsce.net/index.php/ICCE/article/view/2157, and Wang, Lei & Liu
#     (2019), "Chinese System Usability Scale: Translation, Revision, Psychological Measurement", IJHCI,
#     https://doi.org/10.1080/10447318.2019.1700644 (item texts of those two not reproduced here).
# The wording below is our own translation of Brooke's free-to-use items, informed by those versions, not a copy.
# Where the versions disagree we follow the English: q2 "unnecessarily complex" is 复杂得没有必要 (not 过于复杂,
# "overly complex"); q8 "cumbersome" is 繁琐 (not 非常困难, "very difficult", which repeats q3, nor 笨拙, which
# describes a clumsy person). zh-hant is written as used in Taiwan (協助 for the technical person's support).
SUS_ITEMS: tuple[Item, ...] = (
    Item("q1", _t(  # positive
        "我认为我会愿意经常使用这个系统。",
        "我想我會願意經常使用這個系統。",
        "I think that I would like to use this system frequently.",
    )),
    Item("q2", _t(  # negative
        "我觉得这个系统复杂得没有必要。",
        "我覺得這個系統複雜得沒有必要。",
        "I found the system unnecessarily complex.",
    )),
    Item("q3", _t(  # positive
        "我认为这个系统容易使用。",
        "我認為這個系統容易使用。",
        "I thought the system was easy to use.",
    )),
    Item("q4", _t(  # negative
        "我认为我会需要技术人员的支持才能使用这个系统。",
        "我想我會需要技術人員的協助才能使用這個系統。",
        "I think that I would need the support of a technical person to be able to use this system.",
    )),
    Item("q5", _t(  # positive
        "我发现这个系统中的各项功能整合得很好。",
        "我覺得這個系統的各項功能整合得很好。",
        "I found the various functions in this system were well integrated.",
    )),
    Item("q6", _t(  # negative
        "我认为这个系统中存在太多不一致的地方。",
        "我認為這個系統有太多不一致的地方。",
        "I thought there was too much inconsistency in this system.",
    )),
    Item("q7", _t(  # positive
        "我想大多数人都能很快学会使用这个系统。",
        "我想大部分的人都能很快學會使用這個系統。",
        "I would imagine that most people would learn to use this system very quickly.",
    )),
    Item("q8", _t(  # negative
        "我觉得这个系统用起来非常繁琐。",
        "我覺得這個系統用起來非常繁瑣。",
        "I found the system very cumbersome to use.",
    )),
    Item("q9", _t(  # positive
        "使用这个系统时我感到很有信心。",
        "使用這個系統時，我覺得很有信心。",
        "I felt very confident using the system.",
    )),
    Item("q10", _t(  # negative
        "在开始使用这个系统之前，我需要先学习很多东西。",
        "在開始使用這個系統之前，我需要先學習很多東西。",
        "I needed to learn a lot of things before I could get going with this system.",
    )),
)

# UMUX-Lite (Lewis, Utesch & Maher 2013): "[This system's] capabilities meet my requirements." and "[This system]
# is easy to use.", both positive; English wording checked against MeasuringU, "The UMUX-Lite Usefulness Item",
# https://measuringu.com/umux-lite-useful-alternative/. No published Chinese UMUX-Lite was found; the Chinese is our
# translation: "easy to use" is 容易使用 as in SUS q3, "capabilities" 功能, "meet my requirements" 满足我的需求
# (Mainland) / 符合我的需求 (Taiwan).
UMUX_LITE_ITEMS: tuple[Item, ...] = (
    Item("capabilities", _t(
        "这个系统的功能满足我的需求。",
        "這個系統的功能符合我的需求。",
        "This system's capabilities meet my requirements.",
    )),
    Item("ease", _t(
        "这个系统很容易使用。",
        "這個系統很容易使用。",
        "This system is easy to use.",
    )),
)

YES_NO_OPTIONS: tuple[Option, ...] = (
    Option(YES, _t("是", "是", "Yes")),
    Option(NO, _t("否", "否", "No")),
)

STANDARD_ITEMS: dict[str, tuple[Item, ...]] = {"sus": SUS_ITEMS, "umux_lite": UMUX_LITE_ITEMS}
STANDARD_TEXT: dict[str, Text] = {"ces": CES2_TEXT, "sus": AGREEMENT_INTRO, "umux_lite": AGREEMENT_INTRO}
STANDARD_LABELS: dict[str, dict[int, Text]] = {
    "nps": NPS_LABELS,
    "csat": CSAT_LABELS,
    "ces": AGREE_7_LABELS,
    "sus": SUS_LABELS,
    "umux_lite": UMUX_LITE_LABELS,
}


def matrix_default_labels(scale_min: int, scale_max: int) -> dict[int, Text]:
    """Agreement labels for a Likert matrix on 1..5 or 1..7 when it names none; other scales show numbers."""
    if (scale_min, scale_max) == (1, 5):
        return {k: dict(v) for k, v in AGREE_5_LABELS.items()}
    if (scale_min, scale_max) == (1, 7):
        return {k: dict(v) for k, v in AGREE_7_LABELS.items()}
    return {}
