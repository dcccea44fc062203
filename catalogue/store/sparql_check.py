"""What the endpoint decides about a query before any engine sees it: one pass of a SPARQL lexer.

The endpoint refuses SERVICE (federation would let anyone make the server call
other hosts), needs to know whether a query names its own dataset (FROM), whether
its answer may differ from one run to the next (NOW, RAND, ...), and must refuse
queries whose nesting would overflow the engine's recursive parser (a few
thousand nested braces crash it). pyoxigraph 0.5 exposes neither its parsed
algebra nor a switch that turns SERVICE off, so these decisions are made on the
query's tokens, read by the terminals of the SPARQL 1.1 grammar (section 19.8):
IRIs, the four kinds of strings, prefixed names with their ``\\#``-style escapes,
variables, blank-node labels, comments. A keyword is only a keyword where the
grammar makes it one. Text the lexer cannot read is refused (fail closed), never
skipped. The query workers also run without any network (see query_pool), so
a SERVICE the lexer missed could still reach nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# -- the grammar's terminals -------------------------------------------------------------------

_BASE = (
    "A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D"
    "\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\U00010000-\U000EFFFF"
)
_U = _BASE + "_"
_CHARS = _U + r"\-0-9\u00B7\u0300-\u036F\u203F-\u2040"
_PLX = r"(?:%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])"
_PREFIX = rf"[{_BASE}](?:[{_CHARS}.]*[{_CHARS}])?"
_LOCAL = rf"(?:[{_U}:0-9]|{_PLX})(?:(?:[{_CHARS}.:]|{_PLX})*(?:[{_CHARS}:]|{_PLX}))?"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"

_TOKEN = re.compile(
    "|".join(
        [
            r"(?P<ws>[ \t\r\n]+)",
            r"(?P<comment>#[^\r\n]*)",
            r'(?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""'
            r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
            r'|"(?:[^"\\\r\n]|\\.)*"'
            r"|'(?:[^'\\\r\n]|\\.)*')",
            rf"(?P<iri><(?:[^<>\"{{}}|^`\\\x00-\x20]|{_UCHAR})*>)",
            rf"(?P<pname>(?:{_PREFIX})?:(?:{_LOCAL})?)",
            rf"(?P<var>[?$][{_U}0-9][{_U}0-9\u00B7\u0300-\u036F\u203F-\u2040]*)",
            rf"(?P<bnode>_:[{_U}0-9](?:[{_CHARS}.]*[{_CHARS}])?)",
            r"(?P<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)",
            r"(?P<number>[0-9]+\.?[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)",
            rf"(?P<name>[{_BASE}][{_U}0-9]*)",
            r"(?P<punct>\^\^|\|\||&&|!=|<=|>=|<<|>>|\{\||\|\}|[{}()\[\].,;*+\-/!=<>^|?$@~&])",
        ]
    )
)

# Forms that nest in the engine's parse tree: each adds a level of recursion.
CHAINING = {"UNION", "MINUS", "OPTIONAL", "&&", "||", "/", "|"}
VOLATILE = {"NOW", "RAND", "UUID", "STRUUID", "BNODE"}
MAX_DEPTH = 128
MAX_CHAIN = 4000


class QueryRefused(Exception):
    """The query is refused before it runs; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int


@dataclass
class QueryCheck:
    """What one lexing pass found in a query (or update)."""

    keywords: set[str] = field(default_factory=set)
    depth: int = 0
    chains: int = 0

    def uses(self, keyword: str) -> bool:
        return keyword.upper() in self.keywords

    @property
    def service(self) -> bool:
        return "SERVICE" in self.keywords

    @property
    def names_dataset(self) -> bool:
        return "FROM" in self.keywords

    @property
    def volatile(self) -> bool:
        return bool(self.keywords & VOLATILE)

    @property
    def graph_form(self) -> bool:
        return bool(self.keywords & {"CONSTRUCT", "DESCRIBE"})


def tokens(text: str) -> list[Token]:
    """The query's tokens, comments and white space included; QueryRefused(400) at text no terminal reads."""
    found: list[Token] = []
    position = 0
    match = _TOKEN.match
    while position < len(text):
        m = match(text, position)
        if m is None or m.end() == position:
            line = text.count("\n", 0, position) + 1
            column = position - (text.rfind("\n", 0, position) + 1) + 1
            raise QueryRefused(400, f"The query cannot be read at line {line}, column {column} (near {text[position:position + 20]!r}).")
        found.append(Token(m.lastgroup or "", m.group(0), position))
        position = m.end()
    return found


def check(text: str, max_depth: int = MAX_DEPTH, max_chain: int = MAX_CHAIN) -> QueryCheck:
    """Lex ``text`` once; QueryRefused when it nests deeper or chains longer than the engine can parse safely."""
    result = QueryCheck()
    depth = 0
    for token in tokens(text):
        if token.kind == "name":
            result.keywords.add(token.text.upper())
        elif token.kind == "punct":
            if token.text in ("{", "(", "[", "{|", "<<"):
                depth += 1
                if depth > result.depth:
                    result.depth = depth
            elif token.text in ("}", ")", "]", "|}", ">>"):
                depth = max(0, depth - 1)
            if token.text in CHAINING:
                result.chains += 1
        if token.kind == "name" and token.text.upper() in CHAINING:
            result.chains += 1
    if result.depth > max_depth:
        raise QueryRefused(400, f"The query nests {result.depth} levels deep (braces, brackets and parentheses); this endpoint reads at most {max_depth}.")
    if result.chains > max_chain:
        raise QueryRefused(
            400,
            f"The query chains {result.chains} UNION, OPTIONAL, MINUS, path or boolean operators; this endpoint reads at most {max_chain}. "
            "Use VALUES for long lists of alternatives.",
        )
    return result


def blank_literals(text: str) -> str:
    """``text`` with strings, IRIs and comments blanked out (same length, so positions still match)."""
    parts = []
    for token in tokens(text):
        if token.kind in ("string", "iri", "comment"):
            parts.append(re.sub(r"[^\n]", " ", token.text))
        else:
            parts.append(token.text)
    return "".join(parts)
