"""Team chat notifications: one :class:`Card` as the JSON that Feishu (Lark), DingTalk, WeCom and Slack incoming
webhooks accept, how to sign the URL or body where the platform asks for it, and how to read each platform's
answer. Pure Python (no Django): the delivery code posts what these functions return.

The platforms (their documented payload shapes):

* **Feishu / Lark custom bot** (``https://open.feishu.cn/open-apis/bot/v2/hook/<token>``, Lark:
  ``open.larksuite.com``): ``{"msg_type": "interactive", "card": {...}}`` with a coloured header, ``div``
  elements and an ``action`` button. With "signature verification" on, the body also carries ``"timestamp"``
  (Unix seconds, as a string) and ``"sign"``: base64 of HMAC-SHA256 whose **key** is ``"<timestamp>\\n<secret>"``
  and whose message is empty (:func:`feishu_sign`). It answers HTTP 200 with ``{"code": 0, ...}`` (older
  deployments: ``{"StatusCode": 0, ...}``); any other code is a failure.
* **DingTalk custom robot** (``https://oapi.dingtalk.com/robot/send?access_token=…``): ``actionCard`` (markdown
  text and a single button) or, without a link, ``markdown``. "Additional signature" (加签) goes into the URL:
  ``&timestamp=<ms>&sign=<url-encoded base64 HMAC-SHA256(key=secret, msg="<ms>\\n<secret>")>``
  (:func:`dingtalk_signed_url`). Answers ``{"errcode": 0, "errmsg": "ok"}``. A robot with a custom keyword only
  accepts messages that contain it: every DingTalk message here ends with ``cxloop``.
* **WeCom group robot** (``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…``): ``{"msgtype": "markdown",
  "markdown": {"content": ...}}``, at most 4096 bytes of UTF-8, with ``<font color="info|comment|warning">``.
  Answers ``{"errcode": 0, "errmsg": "ok"}``.
* **Slack incoming webhook** (``https://hooks.slack.com/services/…``): Block Kit ``blocks`` (header, section with
  fields, context, actions with a button) and ``text`` as the notification fallback. Answers HTTP 200 with the
  body ``ok``.

What respondents write is untrusted. Every text of the card is cleaned (control and bidirectional-override
characters dropped, lone surrogates replaced), made one line, and cut to a length (the comment to
:data:`EXCERPT_LIMIT` characters, never inside a surrogate pair, a combining sequence or an emoji sequence).
Then, per format: Slack's ``&``, ``<`` and ``>`` become ``&amp;``, ``&lt;``, ``&gt;`` (so no ``<!channel>``,
``<@U…>`` or ``<url|text>`` gets through); in Feishu the comment and the customer are ``plain_text``, which is
never parsed, and the markdown parts, like DingTalk's and WeCom's markdown, get the characters that make links,
images, mentions, tags and emphasis (``[ ] < > @ * ` # | \\ &``) replaced by their full-width forms, so
``[click](http://evil)``, ``<at id=all></at>``, ``<font …>``, ``<@userid>`` and ``@all`` show as text.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal
from urllib.parse import quote, quote_plus, urlsplit

Kind = Literal["feishu", "dingtalk", "wecom", "slack"]
KINDS: tuple[Kind, ...] = ("feishu", "dingtalk", "wecom", "slack")
SEVERITIES = ("good", "info", "warning", "bad")

EXCERPT_LIMIT = 300
TITLE_LIMIT = 140  # Slack's header block takes 150, the severity mark included
LABEL_LIMIT = 60
VALUE_LIMIT = 200
MAX_FACTS = 8  # Slack allows 10 fields in a section; the score and the customer take two
WECOM_MAX_BYTES = 4096

HOSTS: dict[str, Kind] = {
    "open.feishu.cn": "feishu",
    "open.larksuite.com": "feishu",
    "oapi.dingtalk.com": "dingtalk",
    "qyapi.weixin.qq.com": "wecom",
    "hooks.slack.com": "slack",
}

FEISHU_TEMPLATE = {"good": "green", "info": "blue", "warning": "orange", "bad": "red"}
WECOM_COLOUR = {"good": "info", "info": "comment", "warning": "warning", "bad": "warning"}
MARK = {"good": "🟢", "info": "🔵", "warning": "🟠", "bad": "🔴"}

_WORDS = {
    "en": {"open": "Open in cxloop", "comment": "Comment", "customer": "Customer"},
    "zh-hans": {"open": "在 cxloop 中查看", "comment": "评论", "customer": "客户"},
    "zh-hant": {"open": "在 cxloop 中檢視", "comment": "評論", "customer": "客戶"},
}

_DROP = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, *range(0x80, 0xA0),
                       *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C])
_MARKDOWN = str.maketrans({"<": "＜", ">": "＞", "[": "［", "]": "］", "@": "＠", "*": "＊", "`": "｀",
                           "#": "＃", "|": "｜", "\\": "＼", "&": "＆"})
_SPACE = re.compile(r"\s+")
_JOINERS = {0x200D, 0xFE0E, 0xFE0F, *range(0x1F3FB, 0x1F400), *range(0xE0020, 0xE0080)}


@dataclass(frozen=True, slots=True)
class Card:
    """One notification: a title, a score with its label (``NPS`` / ``9``), a comment excerpt, who answered, a
    link into cxloop, a severity (``good``, ``info``, ``warning``, ``bad``: the header colour), further
    facts as (label, value) pairs, and the language of the fixed words (``en``, ``zh-Hans``, ``zh-Hant``)."""

    title: str
    score_label: str = ""
    score: str = ""
    comment_excerpt: str = ""
    customer: str = ""
    link: str = ""
    severity: str = "info"
    facts: tuple[tuple[str, str], ...] = ()
    language: str = "en"

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}, not {self.severity!r}")


# --- text -------------------------------------------------------------------------------------------


def clean(text: str) -> str:
    """``text`` without control characters (tab and newline kept), bidirectional overrides and lone surrogates
    (replaced by U+FFFD; a surrogate pair becomes its character)."""
    text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text.translate(_DROP)


def excerpt(text: str, limit: int = EXCERPT_LIMIT) -> str:
    """``text`` cleaned, on one line (runs of whitespace become one space) and at most ``limit`` characters: a
    longer text is cut, at a character boundary that keeps combining marks and emoji sequences whole, and ends
    with ``…``."""
    text = _SPACE.sub(" ", clean(text)).strip()
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    cut = limit - 1
    while cut > 0 and _continues(text, cut):
        cut -= 1
    return text[:cut].rstrip() + "…"


def _continues(text: str, cut: int) -> bool:
    """Whether the character at ``cut`` belongs to the one before it (so cutting there would split it)."""
    here, before = ord(text[cut]), ord(text[cut - 1])
    return (unicodedata.combining(text[cut]) > 0 or here in _JOINERS or before == 0x200D
            or 0xDC00 <= here <= 0xDFFF or (_regional(here) and _regional(before)))


def _regional(cp: int) -> bool:
    return 0x1F1E6 <= cp <= 0x1F1FF


def escape_slack(text: str) -> str:
    """Slack's control characters as entities: ``&`` → ``&amp;``, ``<`` → ``&lt;``, ``>`` → ``&gt;``."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_markdown(text: str) -> str:
    """Markdown, tag and mention syntax as full-width look-alikes (for Feishu ``lark_md``, DingTalk and WeCom)."""
    return text.translate(_MARKDOWN)


def safe_link(link: str) -> str | None:
    """``link`` when it is an absolute http(s) URL, with the characters that could end a markdown link or a
    Slack ``<…|…>`` (spaces, brackets, parentheses, quotes, ``|``) percent-encoded; otherwise None."""
    link = link.strip()
    if not link or any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in link):
        return None
    try:
        parts = urlsplit(link)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return quote(link, safe="/:?#&=%+,;@!$*~.-_")


def words(language: str) -> Mapping[str, str]:
    """The fixed words of a card (button, labels) in ``language`` (English for any other)."""
    key = language.lower().replace("_", "-")
    if key.startswith("zh") and key not in _WORDS:
        key = "zh-hant" if any(tag in key for tag in ("hant", "-tw", "-hk", "-mo")) else "zh-hans"
    return _WORDS.get(key, _WORDS["en"])


@dataclass(frozen=True, slots=True)
class _Parts:
    """A card's texts, cleaned and cut, not yet escaped for a format."""

    title: str
    score_label: str
    score: str
    comment: str
    customer: str
    link: str | None
    facts: tuple[tuple[str, str], ...]
    words: Mapping[str, str]


def _parts(card: Card, comment_limit: int = EXCERPT_LIMIT) -> _Parts:
    facts = tuple((excerpt(label, LABEL_LIMIT), excerpt(value, VALUE_LIMIT))
                  for label, value in card.facts[:MAX_FACTS])
    return _Parts(
        title=excerpt(card.title, TITLE_LIMIT) or "cxloop",
        score_label=excerpt(card.score_label, LABEL_LIMIT),
        score=excerpt(card.score, LABEL_LIMIT),
        comment=excerpt(card.comment_excerpt, comment_limit),
        customer=excerpt(card.customer, VALUE_LIMIT),
        link=safe_link(card.link),
        facts=tuple(fact for fact in facts if fact[0] or fact[1]),
        words=words(card.language),
    )


def _fields(parts: _Parts) -> list[tuple[str, str]]:
    """(label, value) pairs shown as fields: the score first, then the facts."""
    pairs = [(parts.score_label, parts.score)] if parts.score else []
    return pairs + list(parts.facts)


# --- Feishu / Lark -----------------------------------------------------------------------------------


def feishu_sign(secret: str, timestamp: int) -> str:
    """Feishu's custom-bot signature: base64(HMAC-SHA256(key = ``"<timestamp>\\n<secret>"``, message = empty))."""
    key = f"{int(timestamp)}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


def feishu(card: Card, *, secret: str | None = None, timestamp: int | None = None) -> dict[str, Any]:
    """The Feishu / Lark custom-bot body: an interactive card. With ``secret`` it carries ``timestamp`` (now when
    not given) and ``sign``."""
    parts = _parts(card)
    elements: list[dict[str, Any]] = []
    fields = [{"is_short": True,
               "text": {"tag": "lark_md", "content": f"**{escape_markdown(label)}**\n{escape_markdown(value)}"}}
              for label, value in _fields(parts)]
    if fields:
        elements.append({"tag": "div", "fields": fields})
    if parts.customer:
        elements.append({"tag": "div", "text": {"tag": "plain_text",
                                                "content": f"{parts.words['customer']}: {parts.customer}"}})
    if parts.comment:
        elements.append({"tag": "div", "text": {"tag": "plain_text", "content": f"“{parts.comment}”"}})
    if parts.link:
        elements.append({"tag": "action", "actions": [{
            "tag": "button", "type": "primary", "url": parts.link,
            "text": {"tag": "plain_text", "content": parts.words["open"]},
        }]})
    body: dict[str, Any] = {
        "msg_type": "interactive",
        "card": {
            "config": {"wide_screen_mode": True},
            "header": {"template": FEISHU_TEMPLATE[card.severity],
                       "title": {"tag": "plain_text", "content": parts.title}},
            "elements": elements,
        },
    }
    if secret:
        stamp = int(time.time()) if timestamp is None else int(timestamp)
        body = {"timestamp": str(stamp), "sign": feishu_sign(secret, stamp), **body}
    return body


# --- DingTalk ---------------------------------------------------------------------------------------


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签: base64(HMAC-SHA256(key = secret, message = ``"<timestamp_ms>\\n<secret>"``)), not yet
    URL-encoded."""
    message = f"{int(timestamp_ms)}\n{secret}".encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode("ascii")


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    """The robot's URL with ``&timestamp=<ms>&sign=<url-encoded signature>`` appended."""
    sign = quote_plus(dingtalk_sign(secret, timestamp_ms))
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}timestamp={int(timestamp_ms)}&sign={sign}"


def _markdown_lines(parts: _Parts, severity: str) -> list[str]:
    """The card as DingTalk markdown (escaped), without the link."""
    lines = [f"### {MARK[severity]} {escape_markdown(parts.title)}", ""]
    for label, value in _fields(parts):
        lines += [f"- **{escape_markdown(label)}**: {escape_markdown(value)}"]
    if parts.customer:
        lines += [f"- **{parts.words['customer']}**: {escape_markdown(parts.customer)}"]
    if parts.comment:
        lines += ["", f"> {escape_markdown(parts.comment)}"]
    return lines


def dingtalk(card: Card) -> dict[str, Any]:
    """The DingTalk custom-robot body: an ``actionCard`` with one button to the link, or ``markdown`` without
    one. Nobody is @-mentioned; the text ends with ``cxloop`` (for a robot with that keyword)."""
    parts = _parts(card)
    text = "\n".join([*_markdown_lines(parts, card.severity), "", "cxloop"])
    title = f"{escape_markdown(parts.title)} · cxloop"
    if parts.link:
        return {"msgtype": "actionCard", "actionCard": {
            "title": title, "text": text, "btnOrientation": "0",
            "singleTitle": parts.words["open"], "singleURL": parts.link,
        }}
    return {"msgtype": "markdown", "markdown": {"title": title, "text": text},
            "at": {"atMobiles": [], "atUserIds": [], "isAtAll": False}}


# --- WeCom (企业微信) ---------------------------------------------------------------------------------


def wecom(card: Card) -> dict[str, Any]:
    """The WeCom group-robot body: ``markdown`` with the severity as a ``<font color>`` and the link last; the
    comment (then the facts) is shortened until the content fits in 4096 bytes of UTF-8."""
    limit = EXCERPT_LIMIT
    while True:
        content = _wecom_content(card, _parts(card, limit))
        if len(content.encode("utf-8")) <= WECOM_MAX_BYTES or limit == 0:
            break
        limit //= 2
    while len(content.encode("utf-8")) > WECOM_MAX_BYTES and card.facts:
        card = replace(card, facts=card.facts[:-1])
        content = _wecom_content(card, _parts(card, 0))
    return {"msgtype": "markdown", "markdown": {"content": content}}


def _wecom_content(card: Card, parts: _Parts) -> str:
    colour = WECOM_COLOUR[card.severity]
    lines = [f'### <font color="{colour}">{MARK[card.severity]} {escape_markdown(parts.title)}</font>']
    for label, value in _fields(parts):
        lines.append(f"> **{escape_markdown(label)}**: {escape_markdown(value)}")
    if parts.customer:
        lines.append(f"> **{parts.words['customer']}**: {escape_markdown(parts.customer)}")
    if parts.comment:
        lines.append(f'<font color="comment">{escape_markdown(parts.comment)}</font>')
    if parts.link:
        lines.append(f"[{parts.words['open']}]({parts.link})")
    return "\n".join(lines)


# --- Slack -----------------------------------------------------------------------------------------


def slack(card: Card) -> dict[str, Any]:
    """The Slack incoming-webhook body: Block Kit (header, section with fields, context, actions) and a ``text``
    fallback for notifications. Every text is escaped for Slack's mrkdwn; the header is ``plain_text``."""
    parts = _parts(card)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"{MARK[card.severity]} {parts.title}",
                                    "emoji": True}},
    ]
    fields = [{"type": "mrkdwn", "text": f"*{escape_slack(label)}*\n{escape_slack(value)}"}
              for label, value in _fields(parts)]
    if parts.customer:
        fields.append({"type": "mrkdwn", "text": f"*{parts.words['customer']}*\n{escape_slack(parts.customer)}"})
    section: dict[str, Any] = {"type": "section"}
    if parts.comment:
        section["text"] = {"type": "mrkdwn", "text": f"> {escape_slack(parts.comment)}"}
    if fields:
        section["fields"] = fields
    if len(section) > 1:
        blocks.append(section)
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": "cxloop"}]})
    if parts.link:
        blocks.append({"type": "actions", "elements": [{
            "type": "button", "text": {"type": "plain_text", "text": parts.words["open"], "emoji": True},
            "url": parts.link, "style": "primary",
        }]})
    summary = [parts.title] + [f"{label} {value}".strip() for label, value in _fields(parts)[:1]]
    return {"text": escape_slack(" · ".join(summary)), "blocks": blocks}


# --- which platform, and did it work -----------------------------------------------------------------


def kind_of(url: str) -> Kind | None:
    """The platform of an incoming-webhook URL, by its exact host (``hooks.slack.com.example.com`` is none)."""
    try:
        host = (urlsplit(url.strip()).hostname or "").rstrip(".")
    except ValueError:
        return None
    return HOSTS.get(host)


def render(kind: Kind, url: str, card: Card, *, secret: str | None = None,
           now: float | None = None) -> tuple[str, dict[str, Any]]:
    """``(url to post to, JSON body)`` for one platform: the body from :func:`feishu`, :func:`dingtalk`,
    :func:`wecom` or :func:`slack`, signed where the platform signs (Feishu in the body, DingTalk in the URL)."""
    moment = time.time() if now is None else now
    if kind == "feishu":
        return url, feishu(card, secret=secret, timestamp=int(moment))
    if kind == "dingtalk":
        signed = dingtalk_signed_url(url, secret, int(moment * 1000)) if secret else url
        return signed, dingtalk(card)
    if kind == "wecom":
        return url, wecom(card)
    if kind == "slack":
        return url, slack(card)
    raise ValueError(f"unknown chat platform {kind!r}")


def success(kind: str, status: int | None, body: Any) -> bool:
    """Whether a platform accepted the message: HTTP 2xx, and Feishu ``code`` (or ``StatusCode``) 0, DingTalk and
    WeCom ``errcode`` 0, Slack the body ``ok``. ``body`` is the parsed JSON, or the raw text / bytes."""
    if status is None or not 200 <= status < 300:
        return False
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if kind == "slack":
        return isinstance(body, str) and body.strip() == "ok"
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return False
    if not isinstance(body, Mapping):
        return False
    if kind == "feishu":
        code = body.get("code", body.get("StatusCode"))
        return _zero(code)
    if kind in ("dingtalk", "wecom"):
        return _zero(body.get("errcode"))
    return False


def _zero(value: object) -> bool:
    return type(value) is int and value == 0
