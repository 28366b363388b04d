"""core.text.pii: phones, e-mails, 身份证 and bank cards are redacted only when valid. Valid 身份证 check characters
and Luhn numbers are computed here by the published algorithms (GB 11643-1999, ISO/IEC 7812-1)."""

from __future__ import annotations

import pytest

from cxloop.core.text.pii import Pii, Redacted, find, is_card, is_id_number, luhn_ok, redact


def id_check(body17: str) -> str:
    """GB 11643-1999: weights 2^(17-i) mod 11, check = (12 - Σ mod 11) mod 11, 10 written X."""
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(body17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def with_id_check(body17: str) -> str:
    return body17 + id_check(body17)


def luhn_complete(partial: str) -> str:
    """Append the Luhn check digit (ISO/IEC 7812-1) to ``partial``."""
    total = 0
    for i, ch in enumerate(reversed(partial)):
        n = int(ch)
        if i % 2 == 0:  # these digits are doubled once the check digit is appended
            n *= 2
            n = n - 9 if n > 9 else n
        total += n
    return partial + str((10 - total % 10) % 10)


def wrong_last(number: str) -> str:
    last = number[-1]
    return number[:-1] + ("0" if last in "X9" else str(int(last) + 1))


ID_A = with_id_check("11010519491231002")  # 北京 东城, born 1949-12-31
ID_B = with_id_check("44030420000229123")  # 深圳, born on a leap day
ID_X = next(with_id_check(f"31010119900101{n:03d}") for n in range(1000) if id_check(f"31010119900101{n:03d}") == "X")
CARD_VISA = luhn_complete("411111111111111")  # 16 digits
CARD_UNIONPAY = luhn_complete("622202123456789012")  # 19 digits
CARD_AMEX = luhn_complete("37828224631000")  # 15 digits
CARD_MC2 = luhn_complete("222100000000000")  # 2-series Mastercard


def test_helpers_agree_with_the_published_examples() -> None:
    assert id_check("11010519491231002") == "X"  # the example in GB 11643-1999
    assert ID_A == "11010519491231002X"
    assert luhn_complete("7992739871") == "79927398713"  # the classic Luhn example
    assert luhn_ok("79927398713") and not luhn_ok("79927398710") and not luhn_ok("12a")
    assert CARD_VISA == "4111111111111111"


def test_id_numbers() -> None:
    for number in (ID_A, ID_B, ID_X, ID_X.lower()):
        assert is_id_number(number), number
        assert redact(f"身份证号{number}，请核实") == Redacted("身份证号[id]，请核实", counts(id=1))
    assert is_id_number("110105491231002")  # the old 15-digit form: 北京, 1949-12-31
    assert redact("旧证 110105491231002") == Redacted("旧证 [id]", counts(id=1))
    bad = [
        wrong_last(ID_A),  # check character wrong
        with_id_check("99010519491231002"),  # no such province
        with_id_check("11010519490230002"),  # 30 February
        with_id_check("11010521991231002"),  # born in the future
        "110105491331002",  # 15 digits, month 13
    ]
    for number in bad:
        assert not is_id_number(number), number
        assert redact(f"号码 {number}").counts["id"] == 0


def test_cards() -> None:
    for number in (CARD_VISA, CARD_UNIONPAY, CARD_AMEX, CARD_MC2):
        assert luhn_ok(number) and is_card(number), number
        assert redact(f"卡号{number}").text == "卡号[card]"
    grouped = f"{CARD_VISA[:4]} {CARD_VISA[4:8]} {CARD_VISA[8:12]} {CARD_VISA[12:]}"
    dashed = grouped.replace(" ", "-")
    amex = f"{CARD_AMEX[:4]} {CARD_AMEX[4:10]} {CARD_AMEX[10:]}"
    unionpay = " ".join(CARD_UNIONPAY[i : i + 4] for i in range(0, 19, 4))
    for text in (grouped, dashed, amex, unionpay):
        assert redact(f"card: {text}.") == Redacted("card: [card].", counts(card=1)), text
    # fails Luhn, or is not a card-like prefix although it passes Luhn
    for number in (wrong_last(CARD_VISA), luhn_complete("123456789012345"), luhn_complete("202611231015001")):
        assert not is_card(number), number
        assert redact(f"no. {number}").counts["card"] == 0


def counts(**kinds: int) -> dict[str, int]:
    out = {"email": 0, "id": 0, "card": 0, "phone": 0}
    out.update(kinds)
    return out


@pytest.mark.parametrize(
    "phone",
    [
        "+86 138 0013 8000",
        "+86-138-0013-8000",
        "+8613800138000",
        "0086 13800138000",
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "010-12345678",
        "(021) 6123 4567",
        "(021)61234567",
        "0755-2345678",
        "0755 2345 6789",
        "+86 10 1234 5678",
        "+86-21-61234567",
        "+44 20 7946 0958",
        "+1 (415) 555-0132",
        "+14155550132",
        "(415) 555-0132",
        "415-555-0132",
        "0912-345-678",
    ],
)
def test_phones(phone: str) -> None:
    assert redact(f"联系我 {phone} 谢谢") == Redacted("联系我 [phone] 谢谢", counts(phone=1))
    assert redact(f"电话{phone}。") == Redacted("电话[phone]。", counts(phone=1))


def test_emails() -> None:
    text = "邮箱 li.lei+cx@example.com.cn 或 ZHANG_san@mail.qq.com, 12345678@qq.com."
    assert redact(text) == Redacted("邮箱 [email] 或 [email], [email].", counts(email=3))
    for not_email in ("user@localhost", "a@b", "@example.com", "price@ 12"):
        assert redact(not_email).counts["email"] == 0, not_email


@pytest.mark.parametrize(
    "text",
    [
        "订单号 202611231234567890 已退款",
        "订单 DD20261123001234 送达",
        "价格 1999.00 元，优惠 13800.50",
        "日期 2026-11-23 10:15:00",
        "时间戳 1732345678901 和 20261123101500",
        "版本 v1.13800138000",
        "数量 138001380001",  # 12 digits: not a mobile
        "code 12345678",
        "2026/11/23 12:00",
        "ID 110105194912310021",  # 18 digits, but the check character is wrong
    ],
)
def test_things_that_are_not_pii_stay(text: str) -> None:
    assert redact(text) == Redacted(text, counts())
    assert find(text) == []


def test_mixed_comment_spans_and_kinds() -> None:
    text = f"我是张三，手机13800138000，邮箱zs@example.com，身份证{ID_B}，卡号{CARD_UNIONPAY}，订单2026112301"
    found = find(text)
    assert [(p.kind, p.text) for p in found] == [
        ("phone", "13800138000"),
        ("email", "zs@example.com"),
        ("id", ID_B),
        ("card", CARD_UNIONPAY),
    ]
    assert all(text[p.start : p.end] == p.text for p in found)
    result = redact(text)
    assert result.text == "我是张三，手机[phone]，邮箱[email]，身份证[id]，卡号[card]，订单2026112301"
    assert result.counts == counts(email=1, id=1, card=1, phone=1) and result.total == 4
    only_phone = redact(text, kinds=["phone"])
    assert only_phone.counts == {"phone": 1}
    assert "zs@example.com" in only_phone.text and "[phone]" in only_phone.text
    assert find("mail 13800138000@qq.com") == [Pii("email", 5, 23, "13800138000@qq.com")]
    with pytest.raises(ValueError, match="unknown PII kinds: address"):
        find("x", kinds=["address"])
    assert redact("") == Redacted("", counts())
