"""Stories and copies: the seeds' case (one phone call in four texts, two of them one text, and a
later call on its own), copies of re-rendered texts, bad input, incremental updates, and the
reading room's story page.

The articles are the outlets' expected items (tests/fixtures/<outlet>/expected.json, built to
each outlet's page structure: The Moscow Times' a75651 is seed 000 and a87242 seed 004, RFE/RL's
call report seed 001, Just the News' seed 002), and seed 003, the print rendering of 000, as the
text a saved PDF gives (tests/fixtures/seeds/).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from crawler.catalog.schema import catalog_path, connect
from crawler.catalog.store import Catalog
from crawler.commands.stories import story_rows
from crawler.stories.copies import CopyFinder, signature
from crawler.stories.store import StoryIndex
from crawler.stories.texts import copy_words, name_key
from tests.support.run import ENV, PROJECT, command

FIXTURES = PROJECT / "tests" / "fixtures"
MT = "https://www.themoscowtimes.com"
SEED_000 = MT + "/2021/11/24/us-russian-military-chiefs-speak-on-the-phone-a75651"
SEED_003 = MT + "/2021/11/24/us-russian-military-chiefs-speak-on-the-phone-a75651/print.pdf"
SEED_004 = MT + "/2024/12/05/russia-us-army-chiefs-hold-rare-call-amid-ukraine-escalation-a87242"


def expected(outlet: str) -> list[dict]:
    data = json.loads((FIXTURES / outlet / "expected.json").read_text(encoding="utf-8"))
    return [{k: v for k, v in entry.items() if not k.startswith("_")} for entry in data.values()]


def seed_items() -> list[tuple[dict, str]]:
    by_url = {item["url"]: item for item in expected("moscowtimes")}
    rferl = next(i for i in expected("rferl") if "Military Chiefs" in i["title"])
    jtn = next(i for i in expected("justthenews") if "Milley" in i["title"])
    print_text = (FIXTURES / "seeds" / "003_8eab4ec967ae40eb.txt").read_text(encoding="utf-8")
    seed_003 = {
        "url": SEED_003,
        "title": None,
        "text": print_text,
        "language": "en",
        "published": "2021-11-24T08:00:00+00:00",
    }
    return [
        (by_url[SEED_000], "moscowtimes"),
        (rferl, "rferl"),
        (jtn, "justthenews"),
        (seed_003, "moscowtimes"),
        (by_url[SEED_004], "moscowtimes"),
    ]


def build(root: Path, items: list[tuple[dict, str]]) -> Path:
    catalog = Catalog(catalog_path(root))
    for n, (item, outlet) in enumerate(items):
        warc = {"file": "x.warc.gz", "record_id": f"<urn:uuid:{root.name}-{n}>", "offset": n}
        catalog.add({**item, "warc": warc}, outlet, item.get("published") or "2026-11-01T00:00:00Z")
    catalog.close()
    return catalog_path(root)


def stories_of(path: Path) -> list[dict]:
    conn = connect(path, readonly=True)
    found = story_rows(conn, None, None, 1)
    conn.close()
    return found


def test_the_seeds_are_one_story_of_four_with_one_copy_and_a_later_call_alone(tmp_path):
    path = build(tmp_path, seed_items())
    index = StoryIndex(path)
    updated = index.update()
    index.close()
    assert updated.articles == 5
    stories = stories_of(path)
    by_size = sorted(stories, key=lambda s: -len(s["articles"]))
    call, later = by_size[0], by_size[1]
    assert len(stories) == 2
    assert {a["url"] for a in call["articles"]} == {
        SEED_000,
        SEED_003,
        next(i["url"] for i, o in seed_items() if o == "rferl"),
        next(i["url"] for i, o in seed_items() if o == "justthenews"),
    }
    assert [a["url"] for a in later["articles"]] == [SEED_004]
    # 000 and 003 are one text; no other pair is.
    assert [sorted(pair[:2]) for pair in call["copies"]] == [sorted([SEED_000, SEED_003])]
    assert call["copies"][0][2] >= 0.9
    # Its label is a title (its most central article's); its articles in order of publication.
    assert call["label"] in {i["title"] for i, _ in seed_items() if i.get("title")}
    # In order of the instant, not of the written date: The Moscow Times' 00:22+03:00 came first
    # (21:22 UTC), RFE/RL's 21:35Z, Just the News' 18:12-05:00 (23:12 UTC), then the print rendering.
    assert [a["outlet"] for a in call["articles"]] == ["moscowtimes", "rferl", "justthenews", "moscowtimes"]
    assert call["first_seen"] == next(i["published"] for i, _ in seed_items() if i["url"] == SEED_000)
    assert call["outlets"] == 3


def test_the_later_call_joins_when_the_time_window_is_wide(tmp_path):
    """What keeps seed 004 apart is time (three years), not its words: with a window of years,
    the same offices' later call would be taken for the same story. The window is the rule."""
    path = build(tmp_path, seed_items())
    index = StoryIndex(path, window_days=5000)
    index.update()
    index.close()
    sizes = sorted(len(s["articles"]) for s in stories_of(path))
    assert sizes == [5]


def test_re_renderings_are_copies_and_another_report_of_the_event_is_not():
    base = next(i for i in expected("moscowtimes") if i["url"] == SEED_000)
    text = base["text"]
    paragraphs = [p for p in text.split("\n") if p.strip()]
    renderings = {
        "boilerplate": "Accessibility links\nSkip to main content\n" + text + "\nSubscribe to our newsletter today.",
        "rewrapped": "\n".join(p[:70] + "\n" + p[70:] for p in paragraphs),
        "print": (FIXTURES / "seeds" / "003_8eab4ec967ae40eb.txt").read_text(encoding="utf-8"),
    }
    finder = CopyFinder()
    finder.add(0, *signature(copy_words(base["title"], text)))
    for key, (name, rendering) in enumerate(renderings.items(), 1):
        copies = finder.add(key, *signature(copy_words("Another headline", rendering)))
        assert 0 in [c.key for c in copies], name
    rferl = next(i for i in expected("rferl") if "Military Chiefs" in i["title"])
    assert finder.add(99, *signature(copy_words(rferl["title"], rferl["text"]))) == []


def test_names_match_across_scripts_and_spellings():
    assert name_key("Герасимов") == name_key("Gerasimov")
    assert name_key("Мілі") == name_key("Milley")
    assert name_key("Київ") == name_key("Kyiv")
    assert name_key("Gerasimov") != name_key("Milley")


def test_bad_input_never_stops_and_stays_bounded(tmp_path):
    wire = next(i for i in expected("moscowtimes") if i["url"] == SEED_000)
    items = [
        ({"url": "https://a.example/empty", "title": "", "text": "", "language": None}, "feed"),
        ({"url": "https://a.example/one", "title": "Word", "text": "Word", "language": "en"}, "feed"),
        (
            {"url": "https://a.example/xx", "title": "Kalimat", "text": "Ini adalah teks. " * 40, "language": "id"},
            "feed",
        ),
    ]
    items += [({**wire, "url": f"https://copies.example/{n}"}, "feed") for n in range(300)]
    path = build(tmp_path, items)
    index = StoryIndex(path)
    updated = index.update()
    index.close()
    assert updated.articles == 303
    conn = connect(path, readonly=True)
    most = conn.execute("SELECT max(n) FROM (SELECT count(*) AS n FROM copies GROUP BY article_id)").fetchone()[0]
    placed = conn.execute("SELECT count(*) FROM articles WHERE story_id IS NOT NULL").fetchone()[0]
    conn.close()
    assert placed == 303
    assert most <= 300  # each copy lists its copies, bounded (MAX_LISTED per new copy)
    # What a person reads stays bounded too, and says what it leaves out.
    import io

    from crawler.commands.serve import make_datasette
    from crawler.commands.stories import SHOWN_ARTICLES, print_story

    wire = max(stories_of(path), key=lambda s: len(s["articles"]))
    assert len(wire["articles"]) == 300
    out = io.StringIO()
    print_story(wire, out)
    text = out.getvalue()
    article_lines = [line for line in text.splitlines() if "https://copies.example/" in line and "copies (" not in line]
    assert len(article_lines) == SHOWN_ARTICLES and "... and 270 more articles" in text
    assert "more pairs of copies" in text and text.count("  copies (") == 20
    datasette = make_datasette(path, tmp_path, "")

    async def page():
        await datasette.invoke_startup()
        return await datasette.client.get(f"/story/{wire['id']}")

    story = asyncio.run(page())
    assert story.status_code == 200
    assert "… and 200 more articles" in story.text and "more pairs among the articles listed" in story.text
    assert story.text.count('<section class="version">') == 1  # 300 copies of one text: one column


def test_update_is_incremental_and_the_state_can_be_lost(tmp_path):
    items = seed_items()
    path = build(tmp_path, items[:3])
    index = StoryIndex(path)
    assert index.update().articles == 3
    index.close()
    catalog = Catalog(path)
    for n, (item, outlet) in enumerate(items[3:], 3):
        catalog.add({**item, "warc": {"file": "x", "record_id": f"<urn:uuid:late-{n}>"}}, outlet, item["published"])
    catalog.close()
    index = StoryIndex(path)
    assert index.update().articles == 2  # only the new ones
    index.close()
    first = sorted(sorted(a["url"] for a in s["articles"]) for s in stories_of(path))
    (path.parent / "stories.pickle").unlink()
    index = StoryIndex(path)
    assert index.update().articles == 5  # the state lost: every article placed again
    index.close()
    assert sorted(sorted(a["url"] for a in s["articles"]) for s in stories_of(path)) == first


def test_the_story_page_shows_versions_side_by_side_with_their_own_sentences(tmp_path):
    from crawler.commands.serve import make_datasette

    path = build(tmp_path, seed_items())
    index = StoryIndex(path)
    index.update()
    index.close()
    conn = connect(path, readonly=True)
    story_id, article_id = conn.execute("SELECT story_id, id FROM articles WHERE url = ?", (SEED_000,)).fetchone()
    conn.close()
    datasette = make_datasette(path, tmp_path, "")

    async def get(*paths):
        await datasette.invoke_startup()
        return [await datasette.client.get(p) for p in paths]

    story, article, home = asyncio.run(get(f"/story/{story_id}", f"/article/{article_id}", "/"))
    assert story.status_code == 200
    html = story.text
    assert html.count('<section class="version">') == 3  # 000 and 003 are one text: one column
    assert "also, as one text" in html
    # Just the News' own sentence (its reporter's notebook is boilerplate; its own framing is not).
    assert '<mark class="only">' in html
    assert article.status_code == 200 and f'href="/story/{story_id}"' in article.text
    assert "Copies of this text" in article.text
    assert f'href="/story/{story_id}"' in home.text


@pytest.mark.slow
def test_scrapy_stories_json_and_text(tmp_path):
    build(tmp_path, seed_items())
    line = command("stories", "--json", archive=tmp_path)
    proc = subprocess.run(line, cwd=PROJECT, env=ENV, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    stories = [json.loads(s) for s in proc.stdout.splitlines()]
    assert len(stories) == 1  # stories of 2 or more articles: the call
    story = stories[0]
    assert {"id", "label", "articles", "copies"} <= set(story)
    assert all({"url", "outlet", "published"} <= set(a) for a in story["articles"])
    assert len(story["articles"]) == 4 and len(story["copies"]) == 1
    text = subprocess.run(
        command("stories", archive=tmp_path), cwd=PROJECT, env=ENV, capture_output=True, text=True, timeout=120
    )
    assert "1 stories of 2 or more articles (1 articles on their own)" in text.stdout
    assert "copies (" in text.stdout


@pytest.mark.slow
def test_a_crawl_places_its_new_articles_in_stories_when_it_ends(tmp_path):
    from tests.support.run import scrapy

    sample = PROJECT / "samples" / "moscowtimes-sample.warc.gz"
    run = scrapy("crawl", "moscowtimes", "-s", f"REPLAY_WARC={sample}", archive=tmp_path)
    assert run.returncode == 0, run.log
    assert "Stories: 3 articles placed" in run.log
    conn = connect(catalog_path(tmp_path), readonly=True)
    assert conn.execute("SELECT count(*) FROM articles WHERE story_id IS NULL").fetchone()[0] == 0
    conn.close()
    again = scrapy("crawl", "moscowtimes", "-s", f"REPLAY_WARC={sample}", archive=tmp_path)
    assert again.returncode == 0 and "Stories: 0 articles placed" in again.log  # nothing new to place


@pytest.mark.slow
def test_stories_that_cannot_be_placed_are_logged_and_the_crawl_still_ends_well(tmp_path):
    from crawler.stories.store import COPIES_NAME
    from tests.support.run import scrapy

    (catalog_path(tmp_path).parent / COPIES_NAME).mkdir(parents=True)  # the copy index cannot be opened
    sample = PROJECT / "samples" / "moscowtimes-sample.warc.gz"
    run = scrapy("crawl", "moscowtimes", "-s", f"REPLAY_WARC={sample}", archive=tmp_path)
    assert run.returncode == 0, run.log
    assert "Stories not updated: " in run.log and "scrapy stories --rebuild makes them again" in run.log
    assert "'stories/errors': 1," in run.log
    conn = connect(catalog_path(tmp_path), readonly=True)
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 3  # the catalogue is whole
    conn.close()


def test_a_russian_and_a_ukrainian_report_of_the_call_are_one_story(tmp_path):
    """Radio Svoboda's Russian and Ukrainian services on the 23 November 2021 call: their words are
    of two languages, so only their names (Герасимов, Милли / Мілі, Пентагон, США) can join them."""
    ru = expected("svoboda")[0]
    uk = expected("radiosvoboda")[0]
    path = build(tmp_path, [(ru, "svoboda"), (uk, "radiosvoboda")])
    index = StoryIndex(path)
    index.update()
    index.close()
    (story,) = stories_of(path)
    assert {a["language"] for a in story["articles"]} == {"ru", "uk"}


def test_terms_of_most_articles_say_nothing_about_the_story():
    from crawler.stories.features import COMMON_AFTER, Vocabulary, word_counts

    vocabulary = Vocabulary()
    for n in range(COMMON_AFTER):
        vocabulary.add({"words": word_counts(None, f"The ministry said topic{n} mattered.", "en"), "names": Counter()})
    weights = vocabulary.weigh("words", word_counts(None, "The ministry said the Gerasimov call mattered.", "en"))
    assert "the" not in weights and "say" not in weights  # in every article seen
    assert {"gerasimov", "call"} <= set(weights)


def test_the_copy_index_is_on_disk_and_survives_a_new_process(tmp_path):
    base = next(i for i in expected("moscowtimes") if i["url"] == SEED_000)
    finder = CopyFinder(tmp_path / "copies.sqlite3")
    finder.add(7, *signature(copy_words(base["title"], base["text"])))
    finder.commit()
    finder.close()
    again = CopyFinder(tmp_path / "copies.sqlite3")
    print_text = (FIXTURES / "seeds" / "003_8eab4ec967ae40eb.txt").read_text(encoding="utf-8")
    assert [c.key for c in again.add(8, *signature(copy_words(None, print_text)))] == [7]
    again.remove(7)
    assert again.find(*signature(copy_words(None, print_text)), exclude=8) == [] and len(again) == 1
    again.close()


def test_a_lost_or_foreign_copy_index_rebuilds_both_finders(tmp_path):
    path = build(tmp_path, seed_items())
    index = StoryIndex(path)
    index.update()
    index.close()
    first = sorted(sorted(a["url"] for a in s["articles"]) for s in stories_of(path))
    copies = connect(path, readonly=True).execute("SELECT count(*) FROM copies").fetchone()[0]
    assert copies == 1
    (path.parent / "copies.sqlite3").unlink()  # lost: the stories' pickle alone must not be trusted
    index = StoryIndex(path)
    assert index.update().articles == 5
    index.close()
    assert sorted(sorted(a["url"] for a in s["articles"]) for s in stories_of(path)) == first
    assert connect(path, readonly=True).execute("SELECT count(*) FROM copies").fetchone()[0] == 1
