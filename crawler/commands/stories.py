"""``scrapy stories [--since DAY] [--outlet NAME] [--min-articles N] [--json] [--rebuild]``.

The archive's stories: articles about one event grouped across outlets and languages, each with
its label (the title of its most central article), first and last seen, its articles by outlet
and time, and the copies among them (pairs of articles that are one text). The catalogue's
articles that no story holds yet are placed first (``crawler.stories.store``); ``--rebuild``
places every article again from scratch. ``--json``: one JSON object per line and story.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from scrapy.exceptions import UsageError
from tqdm import tqdm

from crawler.catalog.schema import CatalogError, catalog_path, connect
from crawler.spiders.arguments import parse_day
from crawler.stories.queries import copies_among, in_time_order
from crawler.tool_command import ArchiveToolCommand


def story_rows(conn, since: str | None, outlet: str | None, min_articles: int) -> list[dict[str, Any]]:
    """The stories with their articles (in order of publication) and copies, newest first."""
    where: list[str] = ["s.articles >= ?"]
    params: list[Any] = [min_articles]
    if since:
        where.append("s.last_seen >= ?")
        params.append(since)
    if outlet:
        where.append("s.id IN (SELECT story_id FROM articles WHERE outlet = ?)")
        params.append(outlet)
    stories = conn.execute(
        f"SELECT * FROM stories s WHERE {' AND '.join(where)} ORDER BY s.last_seen DESC, s.id DESC", params
    ).fetchall()
    found = []
    for story in stories:
        articles = in_time_order(
            conn.execute(
                "SELECT id, url, outlet, title, language, coalesce(published, first_captured) AS published"
                " FROM articles WHERE story_id = ?",
                (story["id"],),
            ).fetchall()
        )
        pairs = copies_among(conn, [a["id"] for a in articles])
        url = {a["id"]: a["url"] for a in articles}
        found.append(
            {
                "id": story["id"],
                "label": story["label"],
                "first_seen": story["first_seen"],
                "last_seen": story["last_seen"],
                "outlets": story["outlets"],
                "articles": [
                    {k: a[k] for k in ("url", "outlet", "published", "title", "language")} | {"article_id": a["id"]}
                    for a in articles
                ],
                "copies": [[url[p["article_id"]], url[p["copy_id"]], p["containment"]] for p in pairs],
            }
        )
    return found


#: Lines of articles and of copies the text output gives one story at most (``--json`` has all).
SHOWN_ARTICLES, SHOWN_COPIES = 30, 20


def print_story(story: dict[str, Any], out) -> None:
    span = story["first_seen"] or "?"
    if story["last_seen"] and story["last_seen"] != story["first_seen"]:
        span += f" to {story['last_seen']}"
    print(f"\nStory {story['id']}: {story['label'] or '(no title)'}", file=out)
    print(f"  {len(story['articles'])} articles, {story['outlets']} outlets, {span}", file=out)
    for article in story["articles"][:SHOWN_ARTICLES]:
        print(
            f"  {article['published'] or '?':<25} {article['outlet']:<14} {article['title'] or '(no title)'}", file=out
        )
        print(f"  {'':<25} {'':<14} {article['url']}", file=out)
    if len(story["articles"]) > SHOWN_ARTICLES:
        print(f"  ... and {len(story['articles']) - SHOWN_ARTICLES} more articles (--json lists them all)", file=out)
    for first, second, share in story["copies"][:SHOWN_COPIES]:
        print(f"  copies ({share:.0%} of the shorter in the other): {first}  =  {second}", file=out)
    if len(story["copies"]) > SHOWN_COPIES:
        from crawler.stories.copies import MAX_LISTED  # datasketch: not for every scrapy command

        print(
            f"  ... and {len(story['copies']) - SHOWN_COPIES} more pairs of copies (each text lists at most"
            f" {MAX_LISTED} of its copies; --json lists them all)",
            file=out,
        )


class Command(ArchiveToolCommand):
    def syntax(self) -> str:
        return "[--since DAY] [--outlet NAME] [--min-articles N] [--json] [--rebuild]"

    def short_desc(self) -> str:
        return "The archive's stories: one event across outlets and languages, and the copies of one text"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("--since", help="only stories seen on this day or later (YYYY-MM-DD)")
        parser.add_argument("--outlet", help="only stories this outlet covered")
        parser.add_argument("--min-articles", type=int, default=2, help="stories of at least N articles (default 2)")
        parser.add_argument("--json", action="store_true", help="one JSON object per line and story")
        parser.add_argument("--rebuild", action="store_true", help="place every article again, from scratch")

    def run(self, args, opts) -> None:
        try:
            since = parse_day("--since", opts.since)
        except ValueError as exc:
            raise UsageError(str(exc), print_help=False) from None
        from crawler.stories.store import StoryIndex  # numpy and datasketch: not for every scrapy command

        path = catalog_path(Path(self.settings.get("ARCHIVE_DIR")))
        try:
            connect(path, readonly=True).close()
            index = StoryIndex(path)
        except CatalogError as exc:
            raise UsageError(str(exc), print_help=False) from None
        waiting = index.conn.execute("SELECT count(*) FROM articles WHERE story_id IS NULL").fetchone()[0]
        total = index.conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        todo = total if opts.rebuild else waiting
        progress = tqdm(total=todo, desc="stories", unit="article", file=sys.stderr, disable=not todo)
        updated = (index.rebuild if opts.rebuild else index.update)(progress.update)
        progress.close()
        if updated.articles:
            print(
                f"stories: {updated.articles} articles placed ({updated.new_stories} new stories,"
                f" {updated.copies} copies) in {updated.seconds:.1f} s",
                file=sys.stderr,
            )
        found = story_rows(index.conn, since.isoformat() if since else None, opts.outlet, opts.min_articles)
        index.close()
        if opts.json:
            for story in found:
                print(json.dumps(story, ensure_ascii=False))
            return
        singles = total - sum(len(s["articles"]) for s in found)
        print(f"{len(found)} stories of {opts.min_articles} or more articles ({singles} articles on their own)")
        for story in found:
            print_story(story, sys.stdout)
