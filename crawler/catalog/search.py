"""Searching the catalogue: ranked results with highlighted snippets, facets, matches over time.

Ranking is FTS5's bm25 with the title weighted above the subtitle and the subtitle above the text
(``schema.WEIGHTS``). Snippets are cut here, not by FTS5: the index holds lemmas, the snippet
shows the words as written, marking each whose lemma the query looks for (``Києві`` for ``Київ``).
"""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from crawler.catalog.lemmas import language_of, lemma_of, words
from crawler.catalog.query import ParsedQuery, QueryError, Terms, parse_query
from crawler.catalog.schema import WEIGHTS

_SPACES = re.compile(r"\s+")
#: Words of text a snippet shows around its first match.
SNIPPET_WORDS = 32
#: Facets of a search and the column each counts.
FACETS = ("outlet", "language", "month", "author")
_RANK = "bm25(article_fts, {title}, {subtitle}, {body})".format(**WEIGHTS)


@dataclass
class Filters:
    """What narrows a search besides its words: outlet, language, day range (yyyy-mm-dd)."""

    outlet: str | None = None
    language: str | None = None
    since: str | None = None
    until: str | None = None
    author: str | None = None
    month: str | None = None

    def sql(self) -> tuple[str, list[Any]]:
        clauses, params = [], []
        if self.outlet:
            clauses.append("a.outlet = ?")
            params.append(self.outlet)
        if self.language:
            clauses.append("(a.language = ? OR a.language LIKE ?)")
            params += [self.language, self.language + "-%"]
        if self.since:
            clauses.append("a.day >= ?")
            params.append(self.since)
        if self.until:
            clauses.append("a.day <= ?")
            params.append(self.until)
        if self.month:
            clauses.append("a.month = ?")
            params.append(self.month)
        if self.author:
            clauses.append("a.id IN (SELECT article_id FROM authors WHERE author = ?)")
            params.append(self.author)
        return "".join(" AND " + c for c in clauses), params


@dataclass
class Result:
    """One article found: its metadata, its rank, its snippet as (words, matched) parts."""

    id: int
    url: str
    outlet: str
    title: str | None
    published: str | None
    day: str | None
    language: str | None
    authors: str
    score: float
    snippet_parts: list[tuple[str, bool]]
    title_parts: list[tuple[str, bool]]
    text_file: str | None
    warc_file: str | None
    warc_record_id: str | None
    warc_offset: int | None
    revision_count: int

    def snippet(self, mark: tuple[str, str] = ("**", "**")) -> str:
        return render(self.snippet_parts, mark)

    def as_json(self) -> dict[str, Any]:
        import json

        return {
            "url": self.url,
            "title": self.title,
            "outlet": self.outlet,
            "published": self.published,
            "day": self.day,
            "language": self.language,
            "authors": json.loads(self.authors or "[]"),
            "snippet": self.snippet(),
            # Significant digits, not decimals: bm25 of a word in most articles is ~1e-6 a match.
            "score": float(f"{self.score:.6g}"),
            "revisions": self.revision_count,
            "text_file": self.text_file,
            "warc": {"file": self.warc_file, "record_id": self.warc_record_id, "offset": self.warc_offset},
            "article_id": self.id,
        }


@dataclass
class Results:
    query: ParsedQuery
    total: int
    results: list[Result]
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    timeline: list[tuple[str, int]] = field(default_factory=list)


def render(parts: list[tuple[str, bool]], mark: tuple[str, str]) -> str:
    return "".join(f"{mark[0]}{text}{mark[1]}" if hit else text for text, hit in parts)


def highlight(text: str, terms: Terms, lang: str | None, window: int | None = SNIPPET_WORDS) -> list[tuple[str, bool]]:
    """``text`` (or, with ``window``, the words around its first match) cut into parts, each
    marked whether it is a word the query looks for. With a window, words are read only up to
    the first match and through the window after it: a long text costs no more than a short one."""
    if not text:
        return []
    lang = language_of(lang)
    # A word's lemma begins as the word does (armies, army; Києва, Київ), so only a word whose
    # first two letters begin a form or a prefix of the query is lemmatised to be sure.
    heads = {f[:2] for f in terms.forms | terms.prefixes}

    def hit(match: re.Match[str]) -> bool:
        word = match.group()
        return word[:2].lower() in heads and terms.matches(lemma_of(word, lang), word)

    if window is None:
        shown = list(words(text))
        more = False
    else:
        before: list[re.Match[str]] = []  # the last words before the first match
        shown = []
        stream = words(text)
        for match in stream:
            if hit(match):
                shown = before[-(window // 4) :] + [match]
                break
            before.append(match)
            if len(before) > window:
                del before[: len(before) - window]
        else:  # no match in the text: its first words
            stream = words(text)
        for match in stream:
            if len(shown) >= window:
                break
            shown.append(match)
        more = next(stream, None) is not None
    if not shown:
        return [(text, False)]
    cut = window is not None
    start = shown[0].start() if cut else 0
    end = shown[-1].end() if cut and more else len(text)
    parts: list[tuple[str, bool]] = [("… ", False)] if start > 0 and cut else []
    cursor = start
    for match in shown:
        if hit(match):
            if match.start() > cursor:
                parts.append((text[cursor : match.start()], False))
            parts.append((match.group(), True))
            cursor = match.end()
    if end > cursor:
        parts.append((text[cursor:end], False))
    if cut and more:
        parts.append((" …", False))
    return [(t if marked else _SPACES.sub(" ", t), marked) for t, marked in parts if t]


def _base(filters: Filters, with_author: bool = False) -> tuple[str, list[Any]]:
    where, params = filters.sql()
    join = " JOIN authors au ON au.article_id = a.id" if with_author else ""
    return (
        f" FROM article_fts JOIN articles a ON a.id = article_fts.rowid{join} WHERE article_fts MATCH ?{where}",
        params,
    )


def search(
    conn: sqlite3.Connection,
    query: str | ParsedQuery,
    filters: Filters | None = None,
    limit: int = 20,
    offset: int = 0,
    facets: bool = False,
) -> Results:
    """The articles that match ``query`` (search language; QueryError when it is not), best first."""
    parsed = parse_query(query) if isinstance(query, str) else query
    filters = filters or Filters()
    base, params = _base(filters)
    args = [parsed.match, *params]
    try:
        # With facets, their pass over the matches counts them too: no count query of its own.
        rows, total = _ranked(conn, base, args, limit, offset, count=not facets)
    except sqlite3.OperationalError as exc:
        if "fts5" not in str(exc):
            raise
        # The expression is ours and well formed; FTS5 still refuses some (its parser's stack).
        raise QueryError(f"the index cannot take this query ({exc}): make it simpler") from None
    results = [
        Result(
            id=row["id"],
            url=row["url"],
            outlet=row["outlet"],
            title=row["title"],
            published=row["published"],
            day=row["day"],
            language=row["language"],
            authors=row["authors"],
            score=row["score"],
            snippet_parts=highlight(row["text"] or "", parsed.terms, row["language"]),
            title_parts=highlight(row["title"] or "", parsed.terms, row["language"], window=None),
            text_file=row["text_file"],
            warc_file=row["warc_file"],
            warc_record_id=row["warc_record_id"],
            warc_offset=row["warc_offset"],
            revision_count=row["revision_count"],
        )
        for row in rows
    ]
    found = Results(parsed, total or 0, results)
    if facets and (rows or offset):
        found.facets, found.timeline, found.total = facet_counts(conn, parsed, filters)
    return found


def _ranked(conn, base: str, args: list[Any], limit: int, offset: int, count: bool = True):
    """The page of matches, best first, with each one's latest text; and how many match in all
    (None when ``count`` is off and the page does not tell).

    The ranking sorts ids and scores only; the texts are read for the page's rows alone."""
    rows = conn.execute(
        "SELECT a.id, a.url, a.outlet, a.title, a.published, a.day, a.language, a.authors, a.revision_count,"
        " page.score, r.text, r.text_file, r.warc_file, r.warc_record_id, r.warc_offset"
        f" FROM (SELECT article_fts.rowid AS id, -{_RANK} AS score{base} ORDER BY {_RANK} LIMIT ? OFFSET ?) AS page"
        " JOIN articles a ON a.id = page.id JOIN revisions r ON r.id = a.latest_revision ORDER BY page.score DESC",
        [*args, limit, offset],
    ).fetchall()
    if offset == 0 and len(rows) < limit:
        return rows, len(rows)  # all of them are on this page
    if not count:
        return rows, None
    return rows, conn.execute(f"SELECT count(*){base}", args).fetchone()[0] if (rows or offset) else 0


def facet_counts(
    conn: sqlite3.Connection, parsed: ParsedQuery, filters: Filters, top: int = 12
) -> tuple[dict[str, list[tuple[str, int]]], list[tuple[str, int]], int]:
    """For each facet, its most frequent values among the matches with their counts; the matches
    per month, every month from the first to the last (for the chart); and how many match. Two
    passes over the matches: their articles' columns, and their authors."""
    base, params = _base(filters)
    counters: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
    for outlet, language, month in conn.execute(f"SELECT a.outlet, a.language, a.month{base}", [parsed.match, *params]):
        counters["outlet"][outlet] += 1
        if language:
            counters["language"][language] += 1
        if month:
            counters["month"][month] += 1
    base, params = _base(filters, with_author=True)
    counters["author"].update(row[0] for row in conn.execute(f"SELECT au.author{base}", [parsed.match, *params]))
    facets = {name: sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:top] for name, c in counters.items()}
    return facets, fill_months(sorted(counters["month"].items())), sum(counters["outlet"].values())


def fill_months(series: list[tuple[str, int]], most: int = 600) -> list[tuple[str, int]]:
    """``series`` (yyyy-mm, count) with the months between its first and last that have no
    match put in as 0, so that a chart of it is a time axis (up to ``most`` months)."""
    counts = dict(series)
    months = [m for m in counts if len(m) == 7 and m[:4].isdigit() and m[5:].isdigit() and "01" <= m[5:] <= "12"]
    if not months:
        return series
    first, last = min(months), max(months)
    year, month = int(first[:4]), int(first[5:])
    filled: list[tuple[str, int]] = []
    while len(filled) < most:
        key = f"{year:04d}-{month:02d}"
        filled.append((key, counts.get(key, 0)))
        if key >= last:
            break
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return filled
