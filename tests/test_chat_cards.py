"""Team chat payloads (``core.chat_cards``): the shape each platform documents, Feishu's and DingTalk's
signatures against values computed here with hmac/hashlib, untrusted text neutralised per format, excerpts,
platform detection and each platform's answer."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import parse_qs, quote_plus, urlsplit

import pytest

from cxloop.core import chat_cards as cc

LINK = "https://cx.example.com/o/acme/responses/42/"
HOSTILE = ('Bad [click me](http://evil.example) ![x](http://evil.example/p.png) <at id=all></at> @all '
           '<font color="info">green</font> <@U123> <!channel> <http://evil.example|docs> **bold** `code`\n# Heading')


def card(**changes: Any) -> cc.Card:
    values: dict[str, Any] = {
        "title": "Detractor on Onboarding", "score_label": "NPS", "score": "3",
        "comment_excerpt": "Setup took two weeks.", "customer": "Acme & Co", "link": LINK,
        "severity": "bad", "facts": (("Survey", "Onboarding"), ("Channel", "email")), "language": "en",
    }
    values.update(changes)
    return cc.Card(**values)


def all_text(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False)


# --- signatures -------------------------------------------------------------------------------------


def test_feishu_sign_uses_the_string_to_sign_as_key_and_an_empty_message() -> None:
    expected = base64.b64encode(hmac.new(b"1599360473\nexamplesecret", b"", hashlib.sha256).digest()).decode()
    assert expected == "oGCdhdeQpr0rpQs0HHIWRcOu3Etuu/AmTlXG68i8Bk0="
    assert cc.feishu_sign("examplesecret", 1599360473) == expected
    body = cc.feishu(card(), secret="examplesecret", timestamp=1599360473)
    assert body["timestamp"] == "1599360473"
    assert body["sign"] == expected


def test_feishu_without_secret_has_no_sign() -> None:
    body = cc.feishu(card())
    assert "sign" not in body
    assert "timestamp" not in body


def test_dingtalk_signed_url() -> None:
    secret, ms = "SEC000example", 1599360473000
    raw = base64.b64encode(hmac.new(secret.encode(), f"{ms}\n{secret}".encode(), hashlib.sha256).digest()).decode()
    assert quote_plus(raw) == "v425fmgsBD1O2agKPVtSy6QFHm9fdfIbMcvY7o4AqSI%3D"
    url = cc.dingtalk_signed_url("https://oapi.dingtalk.com/robot/send?access_token=abc", secret, ms)
    assert url == ("https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1599360473000"
                   "&sign=v425fmgsBD1O2agKPVtSy6QFHm9fdfIbMcvY7o4AqSI%3D")
    assert parse_qs(urlsplit(url).query)["sign"] == [raw]
    assert cc.dingtalk_signed_url("https://oapi.dingtalk.com/robot/send", secret, ms).startswith(
        "https://oapi.dingtalk.com/robot/send?timestamp=1599360473000&sign=")


# --- shapes -----------------------------------------------------------------------------------------


def test_feishu_card_shape() -> None:
    body = cc.feishu(card())
    assert body["msg_type"] == "interactive"
    header = body["card"]["header"]
    assert header == {"template": "red", "title": {"tag": "plain_text", "content": "Detractor on Onboarding"}}
    elements = body["card"]["elements"]
    assert elements[0] == {"tag": "div", "fields": [
        {"is_short": True, "text": {"tag": "lark_md", "content": "**NPS**\n3"}},
        {"is_short": True, "text": {"tag": "lark_md", "content": "**Survey**\nOnboarding"}},
        {"is_short": True, "text": {"tag": "lark_md", "content": "**Channel**\nemail"}},
    ]}
    assert elements[1] == {"tag": "div", "text": {"tag": "plain_text", "content": "Customer: Acme & Co"}}
    assert elements[2] == {"tag": "div", "text": {"tag": "plain_text", "content": "“Setup took two weeks.”"}}
    assert elements[3] == {"tag": "action", "actions": [{
        "tag": "button", "type": "primary", "url": LINK, "text": {"tag": "plain_text", "content": "Open in cxloop"}}]}


@pytest.mark.parametrize(("severity", "template", "colour"), [
    ("good", "green", "info"), ("info", "blue", "comment"), ("warning", "orange", "warning"), ("bad", "red", "warning"),
])
def test_severity_colours(severity: str, template: str, colour: str) -> None:
    assert cc.feishu(card(severity=severity))["card"]["header"]["template"] == template
    assert f'<font color="{colour}">' in cc.wecom(card(severity=severity))["markdown"]["content"]


def test_unknown_severity_is_refused() -> None:
    with pytest.raises(ValueError, match="severity"):
        card(severity="purple")


def test_dingtalk_action_card_and_markdown() -> None:
    body = cc.dingtalk(card())
    assert body["msgtype"] == "actionCard"
    action = body["actionCard"]
    assert action["title"] == "Detractor on Onboarding · cxloop"
    assert action["singleTitle"] == "Open in cxloop"
    assert action["singleURL"] == LINK
    assert action["btnOrientation"] == "0"
    assert action["text"] == ("### 🔴 Detractor on Onboarding\n\n- **NPS**: 3\n- **Survey**: Onboarding\n"
                              "- **Channel**: email\n- **Customer**: Acme ＆ Co\n\n> Setup took two weeks.\n\ncxloop")
    plain = cc.dingtalk(card(link=""))
    assert plain["msgtype"] == "markdown"
    assert plain["markdown"]["text"] == action["text"]
    assert plain["at"] == {"atMobiles": [], "atUserIds": [], "isAtAll": False}


def test_wecom_markdown() -> None:
    body = cc.wecom(card(language="zh-Hans"))
    assert body == {"msgtype": "markdown", "markdown": {"content": (
        '### <font color="warning">🔴 Detractor on Onboarding</font>\n> **NPS**: 3\n> **Survey**: Onboarding\n'
        '> **Channel**: email\n> **客户**: Acme ＆ Co\n<font color="comment">Setup took two weeks.</font>\n'
        f"[在 cxloop 中查看]({LINK})")}}


def test_wecom_content_fits_4096_bytes() -> None:
    facts = tuple((f"事实{i}", "很" * 300) for i in range(8))
    body = cc.wecom(card(comment_excerpt="长" * 1000, facts=facts, title="标" * 500))
    assert len(body["markdown"]["content"].encode("utf-8")) <= 4096
    assert body["markdown"]["content"].endswith(f"({LINK})")


def test_slack_blocks() -> None:
    body = cc.slack(card())
    assert body["text"] == "Detractor on Onboarding · NPS 3"
    header, section, context, actions = body["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": "🔴 Detractor on Onboarding",
                                                 "emoji": True}}
    assert section == {"type": "section", "text": {"type": "mrkdwn", "text": "> Setup took two weeks."}, "fields": [
        {"type": "mrkdwn", "text": "*NPS*\n3"},
        {"type": "mrkdwn", "text": "*Survey*\nOnboarding"},
        {"type": "mrkdwn", "text": "*Channel*\nemail"},
        {"type": "mrkdwn", "text": "*Customer*\nAcme &amp; Co"},
    ]}
    assert context == {"type": "context", "elements": [{"type": "mrkdwn", "text": "cxloop"}]}
    assert actions == {"type": "actions", "elements": [{
        "type": "button", "text": {"type": "plain_text", "text": "Open in cxloop", "emoji": True},
        "url": LINK, "style": "primary"}]}


def test_slack_limits() -> None:
    facts = tuple((f"fact {i}", "v") for i in range(20))
    body = cc.slack(card(title="T" * 400, facts=facts))
    header = body["blocks"][0]["text"]["text"]
    assert len(header) <= 150
    assert len(body["blocks"][1]["fields"]) <= 10


def test_no_link_no_button() -> None:
    for bad in ("", "javascript:alert(1)", "ftp://x/", "/relative/path"):
        assert "action" not in all_text(cc.feishu(card(link=bad)))
        assert all(block["type"] != "actions" for block in cc.slack(card(link=bad))["blocks"])
        assert cc.dingtalk(card(link=bad))["msgtype"] == "markdown"


def test_language_of_fixed_words() -> None:
    assert cc.slack(card(language="zh-Hant"))["blocks"][-1]["elements"][0]["text"]["text"] == "在 cxloop 中檢視"
    assert cc.words("zh-CN")["open"] == "在 cxloop 中查看"
    assert cc.words("zh-TW")["customer"] == "客戶"
    assert cc.words("fr")["open"] == "Open in cxloop"


# --- untrusted text ---------------------------------------------------------------------------------


def test_slack_escapes_control_sequences() -> None:
    body = cc.slack(card(comment_excerpt=HOSTILE, customer="<!here> & <@U999>"))
    text = all_text(body["blocks"][1])
    for raw in ("<!channel>", "<@U123>", "<http://evil.example|docs>", "<!here>", "<@U999>", "<at ", "<font"):
        assert raw not in text
    assert "&lt;!channel&gt;" in text
    assert "&lt;!here&gt; &amp; &lt;@U999&gt;" in text
    assert "<" not in body["text"]
    # An entity the respondent typed is escaped too, so it shows as typed.
    typed = cc.slack(card(comment_excerpt="&lt;!channel&gt;"))["blocks"][1]["text"]["text"]
    assert typed == "> &amp;lt;!channel&amp;gt;"


@pytest.mark.parametrize("render", [lambda c: cc.dingtalk(c)["actionCard"]["text"],
                                    lambda c: cc.wecom(c)["markdown"]["content"]])
def test_markdown_formats_neutralise_links_mentions_and_tags(render: Any) -> None:
    text = render(card(comment_excerpt=HOSTILE, customer="@all <@boss>", title="<at id=all></at> [t](http://e)"))
    for raw in ("[click me]", "![x]", "<at", "@all", "<@U123>", "<@boss>", "<!channel>", '<font color="info">green',
                "**bold**", "`code`", "[t]"):
        assert raw not in text
    assert "［click me］(http://evil.example)" in text
    assert "＜at id=all＞＜/at＞" in text
    assert "＠all" in text
    # The comment is one line: no heading of its own.
    assert "\n# Heading" not in text
    assert "＃ Heading" in text


def test_feishu_keeps_untrusted_text_out_of_markdown() -> None:
    body = cc.feishu(card(comment_excerpt=HOSTILE, customer="<at id=all></at>",
                          facts=(("Plan", "[Gold](http://evil) <at id=all></at>"),)))
    elements = body["card"]["elements"]
    markdown = [f["text"]["content"] for f in elements[0]["fields"]]
    assert markdown[1] == "**Plan**\n［Gold］(http://evil) ＜at id=all＞＜/at＞"
    comment = elements[2]["text"]
    assert comment["tag"] == "plain_text"
    assert comment["content"].startswith("“Bad [click me]")
    assert elements[1]["text"] == {"tag": "plain_text", "content": "Customer: <at id=all></at>"}
    assert body["card"]["header"]["title"]["tag"] == "plain_text"


def test_excerpt_length_and_ellipsis() -> None:
    assert cc.excerpt("short") == "short"
    assert cc.excerpt("  a\n\n b\tc  ") == "a b c"
    long = cc.excerpt("x" * 1000)
    assert len(long) == cc.EXCERPT_LIMIT
    assert long == "x" * 299 + "…"
    assert cc.excerpt("abc", 0) == ""


def test_excerpt_never_splits_a_character_or_a_sequence() -> None:
    emoji = cc.excerpt("a" * 298 + "😀😀😀")  # astral characters: one code point each in Python
    assert emoji == "a" * 298 + "😀…"
    # A pair of UTF-16 surrogates (from JSON decoded with surrogatepass) becomes the character itself.
    assert cc.clean("\ud83d\ude00") == "😀"
    assert cc.clean("lone \ud83d here") == "lone \ufffd here"
    family = "👨\u200d👩\u200d👧"
    cut = cc.excerpt("a" * 297 + family + "b")
    assert cut == "a" * 297 + "…"
    accents = cc.excerpt("e\u0301" * 400)
    assert accents.endswith("e\u0301…")
    flags = cc.excerpt("a" * 298 + "🇨🇳🇨🇳")
    assert flags == "a" * 298 + "…"
    json.dumps(cc.slack(card(comment_excerpt="\ud83d" * 400)), ensure_ascii=False).encode("utf-8")


def test_control_and_bidi_characters_are_dropped() -> None:
    assert cc.clean("a\x00b\x1bc\u202ed\u2066e\x85f") == "abcdef"
    assert cc.clean("tab\tnew\nline") == "tab\tnew\nline"


def test_safe_link() -> None:
    assert cc.safe_link(LINK) == LINK
    assert cc.safe_link("https://x.example/a b") is None
    assert cc.safe_link("https://x.example/a)(b[c]<d>|e") == "https://x.example/a%29%28b%5Bc%5D%3Cd%3E%7Ce"
    assert cc.safe_link("javascript:alert(1)") is None
    assert cc.safe_link("https://x.example/?q=%20ok&r=1#f") == "https://x.example/?q=%20ok&r=1#f"


# --- platforms --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "kind"), [
    ("https://open.feishu.cn/open-apis/bot/v2/hook/abc", "feishu"),
    ("https://open.larksuite.com/open-apis/bot/v2/hook/abc", "feishu"),
    ("https://oapi.dingtalk.com/robot/send?access_token=abc", "dingtalk"),
    ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc", "wecom"),
    ("https://hooks.slack.com/services/T000/B000/XXXX", "slack"),
    ("https://HOOKS.SLACK.COM./services/T/B/X", "slack"),
    ("https://hooks.slack.com.evil.example/services/x", None),
    ("https://evil.example/hooks.slack.com", None),
    ("https://example.com/webhook", None),
    ("not a url", None),
])
def test_kind_of(url: str, kind: str | None) -> None:
    assert cc.kind_of(url) == kind


def test_render_signs_where_the_platform_signs() -> None:
    url, body = cc.render("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/x", card(), secret="s", now=1000.5)
    assert url == "https://open.feishu.cn/open-apis/bot/v2/hook/x"
    assert body["timestamp"] == "1000"
    assert body["sign"] == cc.feishu_sign("s", 1000)
    url, body = cc.render("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=t", card(), secret="s",
                          now=1000.5)
    assert url == cc.dingtalk_signed_url("https://oapi.dingtalk.com/robot/send?access_token=t", "s", 1000500)
    assert body == cc.dingtalk(card())
    assert cc.render("wecom", "u", card())[1] == cc.wecom(card())
    assert cc.render("slack", "u", card())[1] == cc.slack(card())
    with pytest.raises(ValueError):
        cc.render("teams", "u", card())  # type: ignore[arg-type]


@pytest.mark.parametrize(("kind", "status", "body", "ok"), [
    ("feishu", 200, {"code": 0, "msg": "success", "data": {}}, True),
    ("feishu", 200, {"StatusCode": 0, "StatusMessage": "success", "Extra": None}, True),
    ("feishu", 200, '{"code":0,"msg":"success"}', True),
    ("feishu", 200, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}, False),
    ("feishu", 200, {"code": 9499, "msg": "Bad Request"}, False),
    ("feishu", 200, {}, False),
    ("feishu", 200, {"code": False}, False),
    ("feishu", 400, {"code": 0}, False),
    ("dingtalk", 200, {"errcode": 0, "errmsg": "ok"}, True),
    ("dingtalk", 200, {"errcode": 310000, "errmsg": "keywords not in content"}, False),
    ("dingtalk", 200, b'{"errcode":0,"errmsg":"ok"}', True),
    ("wecom", 200, {"errcode": 0, "errmsg": "ok"}, True),
    ("wecom", 200, {"errcode": 93000, "errmsg": "invalid webhook url"}, False),
    ("wecom", 200, "not json", False),
    ("slack", 200, "ok", True),
    ("slack", 200, b"ok", True),
    ("slack", 400, "invalid_payload", False),
    ("slack", 404, "no_service", False),
    ("slack", 200, {"ok": True}, False),
    ("slack", None, None, False),
    ("teams", 200, {"errcode": 0}, False),
])
def test_success(kind: str, status: int | None, body: Any, ok: bool) -> None:
    assert cc.success(kind, status, body) is ok
