"""What each reading-room page shows, read from the catalogue (a read-only connection).

Plain functions of a ``sqlite3.Connection`` returning the template's context: the Datasette
plugin (``crawler.reading_room``) runs them on Datasette's own read-only connections.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from crawler.catalog.query import QueryError, Terms, parse_query
from crawler.catalog.search import FACETS, Filters, highlight, search
from crawler.reading_room.charts import bar_chart
from crawler.reading_room.diffs import revision_diff
from crawler.reading_room.sentences import only_here
from crawler.stories.queries import copies_among, in_time_order, utc_label

#: Results per search page.
PAGE_SIZE = 20
#: Most pages of results a search goes through (beyond, narrow the search).
MAX_PAGE = 50
#: Crawl reports shown on an outlet page.
RUNS_SHOWN = 10


def _rows(conn: sqlite3.Connection, sql: str, params: Any = ()) -> list[sqlite3.Row]:
    conn.row_factory = sqlite3.Row
    return conn.execute(sql, params).fetchall()


def revisions_of(conn: sqlite3.Connection, article_id: int, columns: str = "*") -> list[sqlite3.Row]:
    """An article's revisions, numbered as the reading room numbers them: in the order of their
    first captures (``columns``: the module's own column lists, never a request's)."""
    return _rows(conn, f"SELECT {columns} FROM revisions WHERE article_id = ? ORDER BY captured, id", (article_id,))


def revision(conn: sqlite3.Connection, article_id: int, number: int | None, columns: str) -> sqlite3.Row | None:
    """Revision ``number`` of an article (1: the first; None: the latest), or None if it has none."""
    rows = revisions_of(conn, article_id, columns)
    if not rows or (number is not None and not 0 < number <= len(rows)):
        return None
    return rows[-1] if number is None else rows[number - 1]


def replay_url(template: str, captured: str | None, url: str) -> str | None:
    """The replay of the capture of ``url`` made at ``captured`` (a WARC-Date), by ``template``."""
    if not template or not captured:
        return None
    digits = "".join(ch for ch in captured if ch.isdigit())[:14]
    return template.format(timestamp=digits.ljust(14, "0"), url=url)


def search_page(conn: sqlite3.Connection, args: dict[str, str]) -> dict[str, Any]:
    """The search page: results of ``q`` under the chosen facets, the facets, matches per month."""
    q = (args.get("q") or "").strip()
    filters = Filters(
        outlet=args.get("outlet") or None,
        language=args.get("language") or None,
        month=args.get("month") or None,
        author=args.get("author") or None,
        since=args.get("since") or None,
        until=args.get("until") or None,
    )
    try:
        page = min(max(int(args.get("page") or 1), 1), MAX_PAGE)
    except ValueError:
        page = 1
    chosen = {k: v for k, v in args.items() if k in (*FACETS, "since", "until") and v}
    context: dict[str, Any] = {"q": q, "chosen": chosen, "error": None, "found": None, "page": page, "chart": ""}
    if not q:
        return context
    try:
        found = search(conn, q, filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, facets=True)
    except QueryError as exc:
        context["error"] = str(exc)
        return context
    context["found"] = found

    def link(**change: str | None) -> str:
        params = {"q": q, **chosen, **change}
        return "/search?" + urlencode({k: v for k, v in params.items() if v})

    context["facet_links"] = {
        name: [(value, count, link(**{name: value}), chosen.get(name) == value) for value, count in values]
        for name, values in found.facets.items()
    }
    context["remove_links"] = {name: link(**{name: None}) for name in chosen}
    context["chart"] = bar_chart(found.timeline, f"Articles matching {q} per month", link=link(month="{label}"))
    context["next_link"] = link(page=str(page + 1)) if page * PAGE_SIZE < found.total and page < MAX_PAGE else None
    context["previous_link"] = link(page=str(page - 1)) if page > 1 else None
    context["json_link"] = "/search.json?" + urlencode({"q": q, **chosen})
    return context


def article_page(conn: sqlite3.Connection, article_id: int, replay_template: str, q: str = "") -> dict[str, Any] | None:
    """The article page: its latest text and metadata, every revision with its diff, its links;
    the words of the search ``q`` it was opened from marked."""
    rows = _rows(conn, "SELECT * FROM articles WHERE id = ?", (article_id,))
    if not rows:
        return None
    article = dict(rows[0])
    for key in ("authors", "organizations", "tags"):
        article[key] = json.loads(article[key] or "[]")
    revisions = [dict(r) for r in revisions_of(conn, article_id)]
    previous = None
    for number, revision in enumerate(revisions, 1):
        revision["number"] = number
        revision["replay"] = replay_url(
            replay_template, revision["captured"], revision["warc_target_uri"] or article["url"]
        )
        revision["diff"] = revision_diff(previous["text"], revision["text"]) if previous else None
        if previous and (previous["title"] or "") != (revision["title"] or ""):
            revision["title_change"] = (previous["title"], revision["title"])
        previous = revision
    latest = next((r for r in revisions if r["id"] == article["latest_revision"]), revisions[-1] if revisions else None)
    try:
        terms = parse_query(q).terms if q else Terms()
    except QueryError:
        terms = Terms()
    paragraphs = [
        highlight(p, terms, article["language"], window=None)
        for p in (latest["text"] if latest else "").split("\n")
        if p.strip()
    ]
    return {
        "article": article,
        "revisions": revisions,
        "latest": latest,
        "paragraphs": paragraphs,
        "q": q,
        **article_story(conn, article_id),
    }


def _runs(archive_dir: Path, outlet: str) -> list[dict[str, Any]]:
    """The last crawls of ``outlet`` in ``ARCHIVE_DIR/runs/*.json`` (``crawlall``'s reports), newest first."""
    runs_dir = archive_dir / "runs"
    found: list[dict[str, Any]] = []
    if not runs_dir.is_dir():
        return found
    for path in sorted(runs_dir.glob("*.json"), reverse=True):
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for spider in report.get("spiders", []) if isinstance(report, dict) else []:
            if isinstance(spider, dict) and spider.get("spider") == outlet:
                found.append({"report": path.name, "started": report.get("started"), **spider})
        if len(found) >= RUNS_SHOWN:
            break
    return found[:RUNS_SHOWN]


def outlet_page(conn: sqlite3.Connection, outlet: str, archive_dir: Path) -> dict[str, Any] | None:
    """An outlet's page: articles per day, its latest articles, its last crawls and their quality."""
    totals = _rows(
        conn,
        "SELECT count(*) AS articles, sum(revision_count) AS revisions, min(day) AS first, max(day) AS last,"
        " sum(revision_count > 1) AS edited FROM articles WHERE outlet = ?",
        (outlet,),
    )[0]
    if not totals["articles"]:
        return None
    per_day = [
        (r["day"], r["n"])
        for r in _rows(
            conn,
            "SELECT day, count(*) AS n FROM articles WHERE outlet = ? AND day IS NOT NULL GROUP BY day ORDER BY day",
            (outlet,),
        )
    ]
    latest = _rows(
        conn,
        "SELECT id, title, day, url, revision_count, language FROM articles WHERE outlet = ?"
        " ORDER BY day DESC, id DESC LIMIT 30",
        (outlet,),
    )
    languages = _rows(
        conn,
        "SELECT language, count(*) AS n FROM articles WHERE outlet = ? GROUP BY language ORDER BY n DESC",
        (outlet,),
    )
    return {
        "outlet": outlet,
        "totals": dict(totals),
        "chart": bar_chart(per_day, f"{outlet}: articles per day"),
        "latest": latest,
        "languages": languages,
        "runs": _runs(archive_dir, outlet),
    }


def home_page(conn: sqlite3.Connection) -> dict[str, Any]:
    """The front page: the outlets and their counts, the latest articles."""
    outlets = _rows(
        conn,
        "SELECT outlet, count(*) AS articles, max(day) AS last, sum(revision_count > 1) AS edited"
        " FROM articles GROUP BY outlet ORDER BY outlet",
    )
    latest = _rows(
        conn, "SELECT id, title, day, outlet, revision_count FROM articles ORDER BY last_captured DESC LIMIT 15"
    )
    stories = _rows(
        conn,
        "SELECT id, label, first_seen, last_seen, articles, outlets FROM stories WHERE outlets > 1"
        " ORDER BY last_seen DESC, id DESC LIMIT 15",
    )
    per_month = [
        (r["month"], r["n"])
        for r in _rows(
            conn, "SELECT month, count(*) AS n FROM articles WHERE month IS NOT NULL GROUP BY month ORDER BY month"
        )
    ]
    return {
        "outlets": outlets,
        "latest": latest,
        "stories": stories,
        "chart": bar_chart(
            per_month, "Archived articles per month of publication", link="/catalog/articles?month={label}"
        ),
        "now": datetime.now().isoformat(timespec="seconds"),
    }


#: Versions a story page shows side by side at most (the others are listed).
STORY_COLUMNS = 8
#: Articles a story page lists (the earliest) and pairs of copies it shows among them, at most: a
#: wire text in 10,000 places is one story, and its page stays one page.
STORY_LISTED, STORY_COPIES = 100, 50


def story_page(conn: sqlite3.Connection, story_id: int) -> dict[str, Any] | None:
    """A story: its articles in order of publication, each outlet's version side by side with the
    sentences only it carries marked, and the copies among them (the earliest ``STORY_LISTED``
    articles; how many more there are is said)."""
    stories = _rows(conn, "SELECT * FROM stories WHERE id = ?", (story_id,))
    if not stories:
        return None
    everything = in_time_order(
        [
            dict(row)
            for row in _rows(
                conn,
                "SELECT a.id, a.url, a.outlet, a.title, a.language, a.authors, coalesce(a.published, a.first_captured)"
                " AS published, a.latest_revision FROM articles a WHERE a.story_id = ?",
                (story_id,),
            )
        ]
    )
    articles = everything[:STORY_LISTED]
    for article in articles:
        article["utc"] = utc_label(article["published"])
    copies = copies_among(conn, [a["id"] for a in articles])
    copy_of: dict[int, list[tuple[int, float]]] = {}
    for pair in copies:
        copy_of.setdefault(pair["article_id"], []).append((pair["copy_id"], pair["containment"]))
        copy_of.setdefault(pair["copy_id"], []).append((pair["article_id"], pair["containment"]))
    # One column per text: a copy of an earlier article is shown as that article's copy, not again.
    shown: list[dict[str, Any]] = []
    shown_ids: set[int] = set()
    folded: dict[int, list[dict[str, Any]]] = {}
    for article in articles:
        original = next((other for other, _ in copy_of.get(article["id"], []) if other in shown_ids), None)
        if original is not None:
            folded.setdefault(original, []).append(article)
        elif len(shown) < STORY_COLUMNS:
            shown.append(article)
            shown_ids.add(article["id"])
    for article in shown:  # the texts of the columns only
        row = _rows(conn, "SELECT text FROM revisions WHERE id = ?", (article["latest_revision"],))
        article["text"] = row[0]["text"] if row else ""
    marked = only_here([(a["outlet"], a["text"] or "", a["language"]) for a in shown])
    for article, its_sentences in zip(shown, marked, strict=True):
        article["sentences"] = its_sentences
        article["only_here"] = sum(1 for _, only in its_sentences if only)
        article["copies"] = folded.get(article["id"], [])
    by_id = {a["id"]: a for a in articles}
    folded_ids = {a["id"] for group in folded.values() for a in group}
    return {
        "story": dict(stories[0]),
        "articles": articles,
        "articles_more": len(everything) - len(articles),
        "columns": shown,
        "more": [a for a in articles if a["id"] not in shown_ids and a["id"] not in folded_ids],
        "copies": [(by_id[p["article_id"]], by_id[p["copy_id"]], p["containment"]) for p in copies[:STORY_COPIES]],
        "copies_more": max(0, len(copies) - STORY_COPIES),
    }


def article_story(conn: sqlite3.Connection, article_id: int) -> dict[str, Any]:
    """The article's story (with its other articles) and its copies, for the article page."""
    row = _rows(conn, "SELECT story_id FROM articles WHERE id = ?", (article_id,))
    story_id = row[0]["story_id"] if row else None
    story = _rows(conn, "SELECT * FROM stories WHERE id = ?", (story_id,)) if story_id else []
    others = (
        in_time_order(
            _rows(
                conn,
                "SELECT id, outlet, title, coalesce(published, first_captured) AS published FROM articles"
                " WHERE story_id = ? AND id != ?",
                (story_id, article_id),
            )
        )[:30]
        if story_id
        else []
    )
    copies = _rows(
        conn,
        "SELECT a.id, a.outlet, a.title, a.url, c.containment FROM copies c JOIN articles a"
        " ON a.id = CASE WHEN c.article_id = ? THEN c.copy_id ELSE c.article_id END"
        " WHERE c.article_id = ? OR c.copy_id = ? ORDER BY c.containment DESC LIMIT 50",
        (article_id, article_id, article_id),
    )
    return {"story": dict(story[0]) if story else None, "story_articles": others, "copies": copies}
