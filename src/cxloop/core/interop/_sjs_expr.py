"""The part of SurveyJS's expression language that cxloop conditions can say: comparisons of a ``{name}`` with
constants (``=``, ``!=``, ``<`` …, ``contains``, ``notcontains``, ``anyof``, ``allof``, ``noneof``), ``empty`` and
``notempty``, combined with ``and`` / ``or`` / ``!`` and parentheses. Anything else (functions, arithmetic, two
questions compared with each other) raises ``ExprError`` saying what was not understood."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeAlias


class ExprError(ValueError):
    pass


@dataclass(frozen=True)
class Cmp:
    name: str  # what is inside {…}: a question name, "question.row", or a variable
    op: str  # eq neq lt lte gt gte contains notcontains anyof allof noneof empty notempty
    value: Any = None  # str | int | float | bool | list of those | None


@dataclass(frozen=True)
class Logic:
    op: str  # "and" | "or"
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Neg:
    node: Node


Node: TypeAlias = Cmp | Logic | Neg

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<var>\{[^{}]*\})
    |(?P<str>'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")
    |(?P<num>-?\d+(?:\.\d+)?(?![A-Za-z_]))
    |(?P<op><=|>=|=<|=>|==|!=|<>|\*=|&&|\|\||[=<>!()\[\],+\-*/%^])
    |(?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
_WORD_OPS = {
    "equal": "eq", "equals": "eq", "notequal": "neq", "notequals": "neq", "less": "lt", "greater": "gt",
    "lessorequal": "lte", "greaterorequal": "gte", "contains": "contains", "contain": "contains",
    "notcontains": "notcontains", "notcontain": "notcontains", "anyof": "anyof", "allof": "allof",
    "noneof": "noneof",
}
_SYMBOL_OPS = {
    "=": "eq", "==": "eq", "!=": "neq", "<>": "neq", "<": "lt", ">": "gt", "<=": "lte", "=<": "lte", ">=": "gte",
    "=>": "gte", "*=": "contains",
}
_MIRROR = {"lt": "gt", "gt": "lt", "lte": "gte", "gte": "lte", "eq": "eq", "neq": "neq"}
MAX_EXPRESSION = 5_000


@dataclass(frozen=True)
class _Tok:
    kind: str  # var str num op word end
    text: str


def _tokens(source: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(source):
        if not source[pos:].strip():
            break
        match = _TOKEN.match(source, pos)
        if match is None or match.end() == pos:
            raise ExprError(f"cannot read {source[pos:pos + 20].strip()!r}")
        kind = match.lastgroup or ""
        text = match.group(kind)
        if kind == "word" and text.lower() in ("and", "or"):
            kind, text = "op", text.lower()
        elif kind == "op" and text in ("&&", "||"):
            text = "and" if text == "&&" else "or"
        out.append(_Tok(kind, text))
        pos = match.end()
    out.append(_Tok("end", ""))
    return out


def parse_expression(source: str) -> Node:
    if len(source) > MAX_EXPRESSION:
        raise ExprError("the expression is too long")
    parser = _Parser(_tokens(source))
    node = parser.expression()
    if parser.peek().kind != "end":
        raise ExprError(f"unexpected {parser.peek().text!r}")
    return node


class _Parser:
    def __init__(self, tokens: list[_Tok]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0

    def peek(self) -> _Tok:
        return self.tokens[self.pos]

    def take(self) -> _Tok:
        tok = self.tokens[self.pos]
        if tok.kind != "end":
            self.pos += 1
        return tok

    def expect(self, text: str) -> None:
        tok = self.take()
        if tok.kind != "op" or tok.text != text:
            raise ExprError(f"expected {text!r}, found {tok.text or 'the end'!r}")

    def expression(self) -> Node:
        self.depth += 1
        if self.depth > 30:
            raise ExprError("the expression nests too deeply")
        parts = [self.conjunction()]
        while self.peek() == _Tok("op", "or"):
            self.take()
            parts.append(self.conjunction())
        self.depth -= 1
        return parts[0] if len(parts) == 1 else Logic("or", tuple(parts))

    def conjunction(self) -> Node:
        parts = [self.unary()]
        while self.peek() == _Tok("op", "and"):
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else Logic("and", tuple(parts))

    def unary(self) -> Node:
        tok = self.peek()
        if (tok.kind == "op" and tok.text == "!") or (tok.kind == "word" and tok.text.lower() == "negate"):
            self.take()
            return Neg(self.expression())  # SurveyJS: "!" negates the whole expression that follows
        if tok == _Tok("op", "("):
            self.take()
            node = self.expression()
            self.expect(")")
            return node
        return self.comparison()

    def operand(self) -> tuple[str, Any]:
        """("var", name) or ("const", value)."""
        tok = self.take()
        if tok.kind == "var":
            name = tok.text[1:-1].strip()
            if not name:
                raise ExprError("an empty {}")
            return "var", name
        if tok.kind == "str":
            body = tok.text[1:-1]
            return "const", re.sub(r"\\(.)", r"\1", body)
        if tok.kind == "num":
            number = float(tok.text)
            return "const", int(number) if number.is_integer() and "." not in tok.text else number
        if tok.kind == "word":
            if self.peek() == _Tok("op", "("):
                raise ExprError(f"the function {tok.text}() is not supported")
            lowered = tok.text.lower()
            if lowered in ("true", "false"):
                return "const", lowered == "true"
            if lowered in ("null", "undefined"):
                raise ExprError("comparisons with null are not supported (use empty / notempty)")
            return "const", tok.text
        if tok == _Tok("op", "["):
            values: list[Any] = []
            while self.peek() != _Tok("op", "]"):
                kind, value = self.operand()
                if kind != "const" or isinstance(value, list):
                    raise ExprError("a list may hold only constants")
                values.append(value)
                if self.peek() == _Tok("op", ","):
                    self.take()
                elif self.peek() != _Tok("op", "]"):
                    raise ExprError(f"expected ',' or ']', found {self.peek().text or 'the end'!r}")
            self.take()
            return "const", values
        raise ExprError(f"unexpected {tok.text or 'end'!r}")

    def comparison(self) -> Node:
        left_kind, left = self.operand()
        tok = self.peek()
        word = tok.text.lower() if tok.kind == "word" else ""
        if word in ("empty", "notempty"):
            self.take()
            if left_kind != "var":
                raise ExprError(f"{word} applies to a {{question}}")
            return Cmp(left, word)
        if tok.kind == "op" and tok.text in _SYMBOL_OPS:
            op = _SYMBOL_OPS[tok.text]
        elif word in _WORD_OPS:
            op = _WORD_OPS[word]
        elif tok.kind == "op" and tok.text in "+-*/%^":
            raise ExprError("arithmetic is not supported")
        else:
            raise ExprError("a bare value is not a condition")
        self.take()
        right_kind, right = self.operand()
        if self.peek().kind == "op" and self.peek().text in "+-*/%^":
            raise ExprError("arithmetic is not supported")
        if left_kind == "var" and right_kind == "const":
            return Cmp(left, op, right)
        if left_kind == "const" and right_kind == "var" and op in _MIRROR:
            return Cmp(right, _MIRROR[op], left)
        if left_kind == "var":
            raise ExprError("comparing two answers with each other is not supported")
        raise ExprError("a comparison needs a {question} on one side")
