"""Stories and copies in the catalogue, kept up to date from the articles it holds.

``StoryIndex.update`` takes the catalogue's articles that no story holds yet, in order of
publication, through the copy finder and the story finder, and writes what they found:

    articles.story_id   the article's story
    stories             one row per story: its label (the title of its most central article),
                        first and last seen, how many articles and outlets
    copies              pairs of articles that are one text, with the estimated containment

The finders' state is kept beside the catalogue, so a crawl places its new articles without
reading the archive again: the story finder's (vocabulary, open stories, background sample) in
``ARCHIVE_DIR/stories.pickle``, the copy finder's MinHash index in ``ARCHIVE_DIR/copies.sqlite3``.
Both carry one token, written by the same update; derived data: lost, stale or of two different
updates, ``update`` rebuilds both from the catalogue (and the catalogue from the WARCs).
"""

from __future__ import annotations

import logging
import pickle
import sqlite3
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from crawler.catalog.schema import connect
from crawler.stories.clustering import WINDOW_DAYS, Placement, StoryFinder
from crawler.stories.copies import MAX_LISTED, Copy, CopyFinder, signature
from crawler.stories.features import cosine
from crawler.stories.queries import in_time_order, posix_time
from crawler.stories.texts import copy_words

logger = logging.getLogger(__name__)

#: Bumped when the finders change: a state of another version is rebuilt.
STATE_VERSION = 4
STATE_NAME = "stories.pickle"
COPIES_NAME = "copies.sqlite3"


def place(
    finder: StoryFinder,
    copy_finder: CopyFinder,
    key: int,
    title: str | None,
    text: str,
    language: str | None,
    when: float | None,
) -> tuple[Placement, list[Copy]]:
    """One article through both finders: its copies among the texts before it, then its story
    (a copy's is its original's)."""
    minhash, size = signature(copy_words(title, text))
    copies = copy_finder.add(key, minhash, size)
    return finder.add(key, title, text, language, when, [c.key for c in copies]), copies


@dataclass
class Updated:
    articles: int
    new_stories: int
    copies: int
    seconds: float


class StoryIndex:
    """The stories of the catalogue at ``catalog_path`` (its connection opened for writing)."""

    def __init__(
        self, catalog_path: str | Path, state_path: str | Path | None = None, window_days: float = WINDOW_DAYS
    ) -> None:
        self.catalog_path = Path(catalog_path)
        self.window_days = window_days
        self.state_path = Path(state_path) if state_path else self.catalog_path.with_name(STATE_NAME)
        self.copies_path = self.state_path.with_name(COPIES_NAME)
        self.conn = connect(self.catalog_path)

    def close(self) -> None:
        self.conn.close()

    def _load(self) -> tuple[StoryFinder, CopyFinder, str]:
        """The finders as the last update left them, and their token; new ones if the saved state is
        missing, unreadable, of another version or not the copy index's."""
        copy_finder = CopyFinder(self.copies_path)
        try:
            with open(self.state_path, "rb") as stream:
                version, *state = pickle.load(stream)
            if version != STATE_VERSION:
                logger.info("Stories: state %s is of another version; rebuilding", self.state_path)
            elif state[1] != copy_finder.info("token"):
                logger.warning(
                    "Stories: %s and %s are of different updates; rebuilding", self.state_path, self.copies_path
                )
            else:
                return state[0], copy_finder, state[1]
        except FileNotFoundError:
            if len(copy_finder):
                logger.info("Stories: no %s; rebuilding", self.state_path)
        except Exception as exc:  # a torn or foreign file: derived data, rebuilt
            logger.warning("Stories: cannot read %s (%s); rebuilding", self.state_path, exc)
        self.conn.execute("UPDATE articles SET story_id = NULL")
        self.conn.execute("DELETE FROM stories")
        self.conn.execute("DELETE FROM copies")
        self.conn.commit()
        copy_finder.clear()
        return StoryFinder(window_days=self.window_days), copy_finder, ""

    def _save(self, stories: StoryFinder, copies: CopyFinder) -> None:
        """Both finders' state, with a new token: the copy index first, then the pickle (a crash
        between the two leaves tokens that differ, and the next update rebuilds)."""
        token = uuid.uuid4().hex
        copies.set_info("token", token)
        copies.commit()
        partial = self.state_path.with_name(self.state_path.name + ".part")
        with open(partial, "wb") as stream:
            pickle.dump((STATE_VERSION, stories, token), stream, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(self.state_path)

    def rebuild(self, progress=None) -> Updated:
        self.state_path.unlink(missing_ok=True)
        self.copies_path.unlink(missing_ok=True)
        return self.update(progress)

    def update(self, progress=None) -> Updated:
        """Place every article no story holds yet; ``progress(n)`` is called as they go."""
        started = time.monotonic()
        finder, copy_finder, _ = self._load()
        try:
            return self._update(finder, copy_finder, started, progress)
        finally:
            copy_finder.close()  # uncommitted (an update that failed midway): rolled back

    def _update(self, finder: StoryFinder, copy_finder: CopyFinder, started: float, progress) -> Updated:
        rows = self.conn.execute(
            "SELECT a.id, a.title, a.language, coalesce(a.published, a.first_captured) AS day, r.text"
            " FROM articles a JOIN revisions r ON r.id = a.latest_revision WHERE a.story_id IS NULL"
        )
        touched: set[int] = set()
        placed = new = pairs = 0
        # In order of publication in time, not as the dates are written (offsets differ).
        waiting = sorted(
            ((posix_time(day), article_id, title, language, text) for article_id, title, language, day, text in rows),
            key=lambda row: (row[0] or 0.0, row[1]),
        )
        for when, article_id, title, language, text in waiting:
            placement, found = place(finder, copy_finder, article_id, title, text or "", language, when)
            self.conn.execute("UPDATE articles SET story_id = ? WHERE id = ?", (placement.story, article_id))
            for copy in found[:MAX_LISTED]:
                low, high = sorted((article_id, copy.key))
                self.conn.execute(
                    "INSERT OR REPLACE INTO copies (article_id, copy_id, containment) VALUES (?, ?, ?)",
                    (low, high, copy.containment),
                )
            pairs += min(len(found), MAX_LISTED)
            touched.add(placement.story)
            placed += 1
            new += placement.new
            if progress is not None:
                progress(1)
        self._write_stories(finder, touched)
        finder.closed.clear()
        self.conn.commit()
        if placed:
            self._save(finder, copy_finder)
        return Updated(placed, new, pairs, time.monotonic() - started)

    def _write_stories(self, finder: StoryFinder, touched: set[int]) -> None:
        for story_id in touched:
            story = finder.stories.get(story_id) or finder.closed[story_id]
            members = self.conn.execute(
                f"SELECT id, title, outlet, language, coalesce(published, first_captured) AS day FROM articles"
                f" WHERE id IN ({','.join('?' * len(story.members))})",
                story.members,
            ).fetchall()
            label_id, label = self._label(finder, story_id, members)
            days = [m["day"] for m in in_time_order(members, "day") if m["day"]]
            self.conn.execute(
                "INSERT OR REPLACE INTO stories (id, label, label_article, first_seen, last_seen, articles, outlets)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    story_id,
                    label,
                    label_id,
                    days[0] if days else None,
                    days[-1] if days else None,
                    len(members),
                    len({m["outlet"] for m in members}),
                ),
            )

    @staticmethod
    def _label(finder: StoryFinder, story_id: int, members: list[sqlite3.Row]) -> tuple[int | None, str | None]:
        """The title of the story's most central article: the one whose title words are closest to
        the story's centroid (ties: the earliest)."""
        words, _ = (finder.stories.get(story_id) or finder.closed[story_id]).centroids()
        best: tuple[float, str, int, str] | None = None
        for member in members:
            if not member["title"]:
                continue
            title_vector = finder.vocabulary.weigh_title(member["title"], member["language"])
            score = cosine(title_vector, words)
            key = (-score, member["day"] or "", member["id"], member["title"])
            if best is None or key < best:
                best = key
        return (best[2], best[3]) if best else (None, None)
