"""A small JQL tokenizer and parser: clauses joined by AND / OR / NOT and parentheses,
operators `= != > >= < <= ~ !~ IN, NOT IN, IS [NOT] EMPTY`, and `ORDER BY f [ASC|DESC], ...`.

It only builds the tree; which fields and values exist is decided in `jql_eval`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

KEYWORDS = {"and", "or", "not", "in", "is", "empty", "null", "order", "by", "asc", "desc"}
OPERATORS = ("!=", ">=", "<=", "!~", "=", ">", "<", "~")
WORD_STOP = set(" \t\r\n()=,!<>~\"'")


class JqlSyntaxError(ValueError):
    def __init__(self, message: str, position: int | None = None) -> None:
        where = f" (line 1, character {position + 1})" if position is not None else ""
        super().__init__(f"Error in the JQL Query: {message}{where}")


@dataclass(frozen=True)
class Token:
    kind: str  # word | string | op | ( | ) | , | end
    text: str
    pos: int

    def is_kw(self, *words: str) -> bool:
        return self.kind == "word" and self.text.lower() in words


@dataclass(frozen=True)
class Value:
    text: str
    quoted: bool = False
    function: bool = False
    args: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.quoted and not self.function and self.text.lower() in ("empty", "null")


@dataclass(frozen=True)
class Clause:
    field: str
    op: str  # = != > >= < <= ~ !~ in | not in | is | is not
    values: tuple[Value, ...]
    pos: int


@dataclass(frozen=True)
class BoolOp:
    op: str  # and | or
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


Node = Union[Clause, BoolOp, Not]  # noqa: UP007 - a runtime alias


@dataclass(frozen=True)
class OrderItem:
    field: str
    descending: bool
    pos: int


@dataclass(frozen=True)
class Query:
    where: Node | None
    order: tuple[OrderItem, ...]


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "(),":
            tokens.append(Token(ch, ch, i))
            i += 1
        elif ch in "\"'":
            end, chars = i + 1, []
            while end < len(text) and text[end] != ch:
                if text[end] == "\\" and end + 1 < len(text):
                    end += 1
                chars.append(text[end])
                end += 1
            if end >= len(text):
                raise JqlSyntaxError(
                    f"The quoted string '{text[i + 1 :]}' has not been completed.", i
                )
            tokens.append(Token("string", "".join(chars), i))
            i = end + 1
        elif op := next((o for o in OPERATORS if text.startswith(o, i)), None):
            tokens.append(Token("op", op, i))
            i += len(op)
        else:
            end = i
            while end < len(text) and text[end] not in WORD_STOP:
                end += 1
            if end == i:
                raise JqlSyntaxError(f"The character '{ch}' is a reserved JQL character.", i)
            tokens.append(Token("word", text[i:end], i))
            i = end
    tokens.append(Token("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        self.i = min(self.i + 1, len(self.tokens) - 1)
        return tok

    def expect(self, kind: str, what: str) -> Token:
        if self.tok.kind != kind:
            raise JqlSyntaxError(f"Expecting {what} but got '{self.tok.text}'.", self.tok.pos)
        return self.advance()

    def query(self) -> Query:
        where = None if self.tok.is_kw("order") or self.tok.kind == "end" else self.or_expr()
        order: list[OrderItem] = []
        if self.tok.is_kw("order"):
            self.advance()
            if not self.tok.is_kw("by"):
                raise JqlSyntaxError(f"Expecting 'by' but got '{self.tok.text}'.", self.tok.pos)
            self.advance()
            while True:
                name = self.field_name()
                desc = False
                if self.tok.is_kw("asc", "desc"):
                    desc = self.advance().text.lower() == "desc"
                order.append(OrderItem(name.text, desc, name.pos))
                if self.tok.kind != ",":
                    break
                self.advance()
        if self.tok.kind != "end":
            raise JqlSyntaxError(
                f"Expecting either 'OR' or 'AND' but got '{self.tok.text}'.", self.tok.pos
            )
        return Query(where, tuple(order))

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.tok.is_kw("or"):
            self.advance()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else BoolOp("or", tuple(items))

    def and_expr(self) -> Node:
        items = [self.not_expr()]
        while self.tok.is_kw("and"):
            self.advance()
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else BoolOp("and", tuple(items))

    def not_expr(self) -> Node:
        if self.tok.is_kw("not"):
            self.advance()
            return Not(self.not_expr())
        if self.tok.kind == "(":
            self.advance()
            node = self.or_expr()
            self.expect(")", "')'")
            return node
        return self.clause()

    def field_name(self) -> Token:
        tok = self.tok
        if tok.kind not in ("word", "string") or (
            tok.kind == "word" and tok.text.lower() in KEYWORDS
        ):
            raise JqlSyntaxError(f"Expecting a field name but got '{tok.text}'.", tok.pos)
        return self.advance()

    def clause(self) -> Clause:
        name = self.field_name()
        if self.tok.is_kw("is"):
            self.advance()
            op = "is"
            if self.tok.is_kw("not"):
                self.advance()
                op = "is not"
            if not self.tok.is_kw("empty", "null"):
                raise JqlSyntaxError(f"Expecting 'EMPTY' but got '{self.tok.text}'.", self.tok.pos)
            return Clause(name.text, op, (Value(self.advance().text),), name.pos)
        if self.tok.is_kw("not", "in"):
            op = "in"
            if self.advance().text.lower() == "not":
                if not self.tok.is_kw("in"):
                    raise JqlSyntaxError(f"Expecting 'IN' but got '{self.tok.text}'.", self.tok.pos)
                self.advance()
                op = "not in"
            return Clause(name.text, op, self.value_list(), name.pos)
        if self.tok.kind != "op":
            raise JqlSyntaxError(
                f"Expecting operator but got '{self.tok.text}'. Valid operators are: "
                "'=', '!=', '~', '!~', '>', '>=', '<', '<=', 'IN', 'NOT IN', 'IS', 'IS NOT'.",
                self.tok.pos,
            )
        op = self.advance().text
        return Clause(name.text, op, (self.value(),), name.pos)

    def value_list(self) -> tuple[Value, ...]:
        if self.tok.kind != "(":
            value = self.value()
            if not value.function:
                raise JqlSyntaxError(f"Expecting '(' but got '{value.text}'.", self.tok.pos)
            return (value,)
        self.advance()
        values = [self.value()]
        while self.tok.kind == ",":
            self.advance()
            values.append(self.value())
        self.expect(")", "')'")
        return tuple(values)

    def value(self) -> Value:
        tok = self.tok
        if tok.kind == "string":
            return Value(self.advance().text, quoted=True)
        if tok.kind != "word" or tok.text.lower() in KEYWORDS - {"empty", "null"}:
            raise JqlSyntaxError(f"Expecting a value but got '{tok.text}'.", tok.pos)
        self.advance()
        if self.tok.kind != "(":
            return Value(tok.text)
        self.advance()
        args: list[str] = []
        while self.tok.kind in ("word", "string"):
            args.append(self.advance().text)
            if self.tok.kind != ",":
                break
            self.advance()
        self.expect(")", "')'")
        return Value(tok.text, function=True, args=tuple(args))


def parse(text: str) -> Query:
    return _Parser(text or "").query()
