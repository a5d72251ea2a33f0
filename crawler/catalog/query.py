"""The search language of ``scrapy search`` and the reading room, turned into an FTS5 query.

    Gerasimov                 a word, in any of its forms (Герасимова finds Герасимов)
    "nuclear weapons"         a phrase: these words in this order
    sanction*                 a prefix
    Kyiv OR Kiev              either
    drone NOT Iran            the first without the second
    (Kyiv OR Kiev) strike     grouping; words side by side must all be there (AND may be written)

Nothing of the user's text reaches SQLite as syntax: every word becomes a quoted FTS5 string of
its lemmas (``crawler.catalog.lemmas``), so a query can be wrong only in the ways this module
explains, in one line (``QueryError``), never an SQLite error.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from crawler.catalog.lemmas import LANGUAGES, WORD, lemma_of, query_forms

#: Longest query taken (characters) and most words in it: beyond, a query is a mistake or an attack.
MAX_QUERY_CHARS = 1000
MAX_QUERY_WORDS = 40
#: A phrase of inflected words is searched as each combination of its words' forms, up to this many.
MAX_PHRASE_VARIANTS = 64
#: Parentheses nested deeper than this are refused (FTS5's own parser stops at ~30 levels).
MAX_DEPTH = 8

OPERATORS = ("OR", "AND", "NOT")


class QueryError(ValueError):
    """A query that cannot be searched, with a one-line explanation for the person who wrote it."""


@dataclass
class Terms:
    """What a query looks for, for highlighting: the lemma forms of its words, and its prefixes."""

    forms: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)

    def matches(self, lemma: str, word: str) -> bool:
        lowered = word.lower()
        if lemma in self.forms or lowered in self.forms:
            return True
        return any(lowered.startswith(p) or lemma.startswith(p) for p in self.prefixes)


@dataclass
class ParsedQuery:
    """A query ready for SQLite: ``match`` is the FTS5 expression, ``terms`` what it highlights."""

    text: str
    match: str
    terms: Terms


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _tokens(text: str) -> list[tuple[str, object]]:
    """The query split into ("word", (words, prefix)), ("phrase", words), ("op", name), "(" and ")"."""
    tokens: list[tuple[str, object]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise QueryError('unbalanced quotes: a phrase opened with " is not closed')
            phrase = [m.group() for m in WORD.finditer(text[i + 1 : end])]
            if phrase:
                tokens.append(("phrase", phrase))
            i = end + 1
        elif ch in "()":
            tokens.append((ch, None))
            i += 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '"()':
                j += 1
            raw = text[i:j]
            i = j
            if raw in OPERATORS:
                tokens.append(("op", raw))
                continue
            found = [m.group() for m in WORD.finditer(raw)]
            prefix = raw.endswith("*")
            if not found:
                if "*" in raw:
                    raise QueryError("a * ends a word, as in sanction*: it cannot stand alone")
                continue  # punctuation only: nothing to look for
            tokens.append(("word", (found, prefix)))
    return tokens


class _Parser:
    """Recursive descent over the tokens; FTS5's precedence (NOT binds tighter than AND, AND than OR)."""

    def __init__(self, tokens: list[tuple[str, object]]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.terms = Terms()
        self.words = 0
        self.depth = 0

    def peek(self) -> tuple[str, object] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def parse(self) -> str:
        if not self.tokens:
            raise QueryError('nothing to search for: give a word, a "phrase" or a prefix*')
        expression = self.or_expr()
        token = self.peek()
        if token is not None:
            raise QueryError("unbalanced parentheses: a ) has no ( before it")
        return expression

    def or_expr(self) -> str:
        parts = [self.and_expr()]
        while self.peek() == ("op", "OR"):
            self.pos += 1
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"

    def and_expr(self) -> str:
        parts = [self.not_expr()]
        while True:
            token = self.peek()
            if token == ("op", "AND"):
                self.pos += 1
                parts.append(self.not_expr())
            elif token is not None and token[0] in ("word", "phrase", "("):
                parts.append(self.not_expr())
            else:
                break
        return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"

    def not_expr(self) -> str:
        left = self.primary()
        while self.peek() == ("op", "NOT"):
            self.pos += 1
            left = f"({left} NOT {self.primary(negated=True)})"
        return left

    def primary(self, negated: bool = False) -> str:
        token = self.peek()
        if token is None:
            if self.depth:
                raise QueryError("unbalanced parentheses: a ( is not closed")
            raise QueryError("the query ends with an operator: OR, AND and NOT need words on both sides")
        kind, value = token
        if kind == "op":
            if value == "NOT" and self.pos == 0:
                raise QueryError("NOT needs words before it: write  drone NOT Iran  (not  NOT Iran)")
            raise QueryError(f"{value} needs words on both sides")
        self.pos += 1
        if kind == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise QueryError(f"parentheses nested too deep: at most {MAX_DEPTH} levels")
            inner = self.or_expr()
            self.depth -= 1
            if self.peek() != (")", None):
                raise QueryError("unbalanced parentheses: a ( is not closed")
            self.pos += 1
            return inner
        if kind == ")":
            raise QueryError("unbalanced parentheses: a ) has no ( before it")
        if kind == "phrase":
            return self.phrase(value, prefix=False, negated=negated)  # type: ignore[arg-type]
        found: list[str]
        prefix: bool
        found, prefix = value  # type: ignore[misc]
        if len(found) > 1:  # "U.S.", "Gerasimov's": the words of one token, side by side
            return self.phrase(found, prefix=prefix, negated=negated)
        return self.word(found[0], prefix=prefix, negated=negated)

    def _count(self, n: int) -> None:
        self.words += n
        if self.words > MAX_QUERY_WORDS:
            raise QueryError(f"too many words: at most {MAX_QUERY_WORDS} in one query")

    def word(self, word: str, prefix: bool, negated: bool) -> str:
        self._count(1)
        if prefix:
            stem = word.lower()
            if not negated:
                self.terms.prefixes.add(stem)
            return _quote(stem) + " *"
        forms = query_forms(word)
        if not negated:
            self.terms.forms.update(forms)
        quoted = [_quote(f) for f in forms]
        return quoted[0] if len(quoted) == 1 else "(" + " OR ".join(quoted) + ")"

    def phrase(self, found: list[str], prefix: bool, negated: bool) -> str:
        self._count(len(found))
        last = len(found) - 1 if prefix else len(found)  # a prefix word is taken as written
        choices = [list(query_forms(w)) if i < last else [w.lower()] for i, w in enumerate(found)]
        if not negated:
            for options in choices[:last]:
                self.terms.forms.update(options)
            if prefix:
                self.terms.prefixes.add(found[-1].lower())
        # First the phrase as each language's index holds it verbatim (every word's lemma in that
        # language), then the phrase as written, then other combinations of the words' forms.
        verbatim = [
            tuple(lemma_of(w, lang) if i < last else w.lower() for i, w in enumerate(found)) for lang in LANGUAGES
        ]
        written = tuple(w.lower() for w in found)
        combinations = itertools.islice(itertools.product(*choices), MAX_PHRASE_VARIANTS)
        variants = list(dict.fromkeys([*verbatim, written, *combinations]))[:MAX_PHRASE_VARIANTS]
        star = " *" if prefix else ""
        # FTS5 phrase syntax: "a" + "b" is the phrase a b; a trailing * makes its last word a prefix.
        rendered = ["(" + " + ".join(_quote(w) for w in variant) + star + ")" for variant in variants]
        return rendered[0] if len(rendered) == 1 else "(" + " OR ".join(rendered) + ")"


def parse_query(text: str) -> ParsedQuery:
    """The FTS5 expression of a query in the search language (see the module), or QueryError."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"query too long: {len(text):,} characters, at most {MAX_QUERY_CHARS:,}")
    parser = _Parser(_tokens(text))
    return ParsedQuery(text=text, match=parser.parse(), terms=parser.terms)
