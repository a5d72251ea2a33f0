"""Stories and copies, measured: ``python -m bench.stories [--corpus ../shared/corpus] [--sizes 10000,100000]``.

1. WikiRef220 (``corpus/stories/wikiref220``: 220 English articles, 16 topics): B-cubed
   precision, recall and F1 of the story finder (``crawler.stories.clustering``) and, in the same
   run, of a plain online TF-IDF centroid baseline (the same finder with names off: words only),
   each averaged over 5 arrival orders (the set has no dates). The eleven topics of five articles
   or fewer are the set authors' noise: each of their articles counts as a story of its own. A
   table of fixed thresholds is shown beside, for reference: no threshold is taken from it.
2. Copies: every WikiRef and fixture text with four re-renderings of it (headline changed,
   boilerplate added, paragraphs re-wrapped, a print rendering with link URLs interleaved like
   seed 003), all through one ``CopyFinder``; a reported pair is right when the two are renderings
   of one text, or are themselves one text (at least half of the shorter's shingles in the
   other, counted exactly: the set's wire copies); precision and recall over the pairs.
3. Cost per new article with 10,000 and 100,000 articles already placed (synthetic: corpus texts
   cycled, dates spread over six years so each time window holds a realistic share), ms an
   article over the next 500, and the process's memory.

Writes ``docs/BENCHMARK-stories.md``.
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from bench.common import header
from crawler.stories import clustering, features
from crawler.stories.clustering import StoryFinder
from crawler.stories.copies import SHINGLE, CopyFinder, shingle_hashes, signature
from crawler.stories.store import place
from crawler.stories.texts import copy_words

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "BENCHMARK-stories.md"
ORDERS = 5
BOILERPLATE = (
    "Accessibility links\nSkip to main content\nBreaking News\nShare this article on Facebook, X and Telegram.\n"
)
FOOTER = (
    "\nSubscribe to our newsletter for the day's most important stories, delivered to your inbox every "
    "morning. Our journalists report the news in 27 languages in 23 countries where a free press is banned "
    "by the government or not fully established. Support independent journalism: become a member today.\n"
)


def wikiref(corpus: Path) -> list[tuple[str, str, str]]:
    docs = []
    for path in sorted((corpus / "stories" / "wikiref220").glob("*.txt")):
        label = re.sub(r"(\.\d+| \(\d+\))\.txt$", "", path.name)
        title, _, body = path.read_text(encoding="utf-8", errors="replace").partition("\n")
        docs.append((label, title.strip(), body))
    return docs


def bcubed(truth: list[str], predicted: list[int]) -> tuple[float, float, float]:
    by_pred: dict[int, set[int]] = defaultdict(set)
    by_truth: dict[str, set[int]] = defaultdict(set)
    for i, (t, p) in enumerate(zip(truth, predicted, strict=True)):
        by_pred[p].add(i)
        by_truth[t].add(i)
    precision = recall = 0.0
    for i in range(len(truth)):
        common = len(by_pred[predicted[i]] & by_truth[truth[i]])
        precision += common / len(by_pred[predicted[i]])
        recall += common / len(by_truth[truth[i]])
    precision, recall = precision / len(truth), recall / len(truth)
    return precision, recall, 2 * precision * recall / (precision + recall)


#: How the eleven topics of five articles or fewer (the set authors' noise) are scored.
READINGS = {
    "noise": "left out of the score (they are still clustered, and may join any story)",
    "singletons": "each of their articles a story of its own",
    "topics": "each a topic like the others",
}


def cluster(docs, names: bool, fixed: float | None = None) -> dict[str, tuple[float, float, float]]:
    """B-cubed (precision, recall, F1) by reading of the noise topics, averaged over arrival orders."""
    sizes = Counter(label for label, _, _ in docs)
    labels = [label for label, _, _ in docs]
    scored = [i for i, label in enumerate(labels) if sizes[label] > 5]
    truth = {
        "singletons": [label if sizes[label] > 5 else f"noise-{i}" for i, label in enumerate(labels)],
        "topics": labels,
    }
    scores: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    for seed in range(ORDERS):
        order = list(range(len(docs)))
        random.Random(seed).shuffle(order)
        finder, copy_finder = StoryFinder(), CopyFinder()
        if fixed is not None:
            finder.threshold = lambda article, bar=fixed: bar  # type: ignore[method-assign]
        predicted = [0] * len(docs)
        for i in order:
            _, title, body = docs[i]
            # As a crawl places an article (stories.store.place): its copies first, then its story.
            copies = copy_finder.add(i, *signature(copy_words(title, body)))
            features = finder.features(i, title, body, "en", None)
            if not names:
                features.names = {}
            predicted[i] = finder.place(features, [c.key for c in copies]).story
        scores["noise"].append(bcubed([labels[i] for i in scored], [predicted[i] for i in scored]))
        for reading, wanted in truth.items():
            scores[reading].append(bcubed(wanted, predicted))
    return {
        reading: tuple(sum(s[k] for s in runs) / len(runs) for k in range(3))  # type: ignore[misc]
        for reading, runs in scores.items()
    }


def renderings(title: str, text: str, rng: random.Random) -> list[tuple[str, str, str]]:
    paragraphs = [p for p in text.split("\n") if p.strip()]
    wrapped = "\n".join(re.sub(r"(.{60,80}?) ", r"\1\n", p) for p in paragraphs)
    urls = "\n\n".join(
        p + (f"\n\nhttps://www.example-outlet.com/{rng.randrange(10**6)}/related-{i}" if i % 2 else "")
        for i, p in enumerate(paragraphs)
    )
    return [
        ("headline", "Updated: " + title[::-1][:40], text),
        ("boilerplate", title, BOILERPLATE + text + FOOTER),
        ("rewrapped", title, wrapped),
        ("print", title, urls),
    ]


def exact_containment(a: list[str], b: list[str]) -> float:
    sa, sb = set(shingle_hashes(a).tolist()), set(shingle_hashes(b).tolist())
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / min(len(sa), len(sb))


def copies_benchmark(docs) -> dict[str, float]:
    rng = random.Random(7)
    texts: list[tuple[int, str, str, str]] = []  # (base, kind, title, text)
    for base, (_, title, body) in enumerate(docs):
        texts.append((base, "original", title, body))
        texts += [(base, kind, t, x) for kind, t, x in renderings(title, body, rng)]
    finder = CopyFinder()
    words = [copy_words(t, x) for _, _, t, x in texts]
    reported: set[tuple[int, int]] = set()
    for key, w in enumerate(words):
        minhash, size = signature(w)
        for copy in finder.add(key, minhash, size):
            reported.add((min(key, copy.key), max(key, copy.key)))
    bases = [b for b, *_ in texts]
    truth = {
        (i, j)
        for i in range(len(texts))
        for j in range(i + 1, len(texts))
        if bases[i] == bases[j] and len(words[i]) >= SHINGLE * 2
    }
    wire = {pair for pair in reported - truth if exact_containment(words[pair[0]], words[pair[1]]) >= 0.5}
    right = len(reported & truth) + len(wire)
    by_kind = Counter()
    kinds = [k for _, k, *_ in texts]
    for i, j in truth - reported:
        by_kind[kinds[j] if kinds[i] == "original" else kinds[i]] += 1
    return {
        "texts": len(texts),
        "pairs": len(truth),
        "reported": len(reported),
        "wire": len(wire),
        "precision": right / len(reported) if reported else 1.0,
        "recall": len(reported & truth) / len(truth) if truth else 1.0,
        "missed": dict(by_kind),
    }


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cost_benchmark(docs, sizes: list[int], probe: int = 500) -> list[tuple[int, float, float, float]]:
    """(articles placed before, ms an article for the next ``probe``, stories open, peak MB)."""
    folder = tempfile.TemporaryDirectory(prefix="bench-stories-")
    finder, copies = StoryFinder(), CopyFinder(Path(folder.name) / "copies.sqlite3")
    start = time.mktime((2019, 1, 1, 0, 0, 0, 0, 0, 0))
    span = 6 * 365 * 86400
    total = max(sizes) + probe
    results = []
    timed_from = set(sizes)
    t0 = 0.0
    for n in range(total):
        _, title, body = docs[n % len(docs)]
        if n in timed_from:
            t0 = time.perf_counter()
        when = start + span * n / total
        place(finder, copies, n, title, body, "en", when)  # what StoryIndex.update does for each article
        finder.closed.clear()  # ... and, once it has written them out, with the stories closed meanwhile
        for s in sizes:
            if n == s + probe - 1:
                results.append((s, (time.perf_counter() - t0) / probe * 1000, len(finder.stories), rss_mb()))
        if n % 5000 == 0:
            copies.commit()  # as each crawl's update does
            print(f"stories cost: {n:,}/{total:,} articles", file=sys.stderr, flush=True)
    copies.close()
    folder.cleanup()
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    parser.add_argument("--sizes", default="10000,100000", help="catalogue sizes the cost is measured at")
    args = parser.parse_args(argv)
    corpus = Path(args.corpus)
    if not (corpus / "stories" / "wikiref220").is_dir():
        print(f"bench.stories: no WikiRef220 at {corpus}/stories/wikiref220 (give --corpus)", file=sys.stderr)
        return 2
    docs = wikiref(corpus)
    print("bench.stories: clustering WikiRef220", file=sys.stderr)
    ours, baseline = cluster(docs, names=True), cluster(docs, names=False)
    sweep = {
        bar: (cluster(docs, True, bar)["noise"][2], cluster(docs, False, bar)["noise"][2])
        for bar in (0.1, 0.15, 0.2, 0.25, 0.3)
    }
    print("bench.stories: copies", file=sys.stderr)
    found = copies_benchmark(docs)
    sizes = [int(s) for s in args.sizes.split(",")]
    cost = cost_benchmark(docs, sizes)
    lines = header("Stories and copies", "python -m bench.stories")
    lines += [
        "## Stories: WikiRef220, B-cubed",
        "",
        f"220 articles, 16 topics; mean of {ORDERS} arrival orders (the set has no dates, so no time window applies)."
        " The eleven topics of five articles or fewer are noise to the set's authors; the corpus README leaves"
        " open whether they count as noise or as singletons, so all three readings are shown. Every article"
        " is clustered in each; only the scoring differs.",
        f"The threshold rule: an article joins its closest story when the similarity stands {clustering.SIGMAS:g}"
        f" standard deviations above its mean similarity to a sample of {clustering.SAMPLE} earlier articles"
        f" (and at least {clustering.FLOOR:g}); terms of more than {features.COMMON_SHARE:.0%} of the articles"
        " seen are left out; the same rules for the baseline.",
        "",
        "| the small topics | story finder (words + names): P / R / **F1** | baseline, TF-IDF centroid (words only):"
        " P / R / F1 | target F1 ≥ 0.92 |",
        "|---|---|---|---|",
    ]
    for reading, meaning in READINGS.items():
        (p, r, f), (bp, br, bf) = ours[reading], baseline[reading]
        lines.append(
            f"| {reading}: {meaning} | {p:.3f} / {r:.3f} / **{f:.3f}** | {bp:.3f} / {br:.3f} / {bf:.3f} |"
            f" {'met' if f >= 0.92 else 'not met'} |"
        )
    lines += [
        "",
        "For reference only (not used to choose anything): F1 (small topics as noise) with a fixed cosine"
        " threshold instead of the rule.",
        "",
        "| fixed threshold | words + names | words only |",
        "|---|---|---|",
        *[f"| {bar:g} | {a:.3f} | {b:.3f} |" for bar, (a, b) in sweep.items()],
        "",
        "## Copies: re-renderings against other articles on the same topic",
        "",
        f"{found['texts']} texts: every WikiRef220 text and four re-renderings of it (headline changed, boilerplate"
        " added, paragraphs re-wrapped, a print rendering with URLs interleaved). A pair is one text when both are"
        f" renderings of one article; {found['wire']} more pairs reported are the set's own wire copies (checked"
        " exactly: half of the shorter's shingles or more in the other) and count as right.",
        "",
        "| pairs that are one text | reported | precision | recall | missed, by rendering |",
        "|---|---|---|---|---|",
        f"| {found['pairs']:,} | {found['reported']:,} | {found['precision']:.4f} | {found['recall']:.4f} |"
        f" {', '.join(f'{k} {v}' for k, v in sorted(found['missed'].items())) or 'none'} |",
        "",
        f"Targets precision ≥ 0.99: **{'met' if found['precision'] >= 0.99 else 'not met'}**; recall ≥ 0.95:"
        f" **{'met' if found['recall'] >= 0.95 else 'not met'}**.",
        "",
        "## Cost of one new article",
        "",
        "Synthetic stream: the WikiRef texts cycled, dates spread evenly over six years (so a 7-day window holds"
        " what a busy archive's would), through the story finder and the copy finder, as a crawl places them."
        " Texts repeat, so every cycle is one more copy of each: the copy finder's worst case.",
        "",
        "| articles already placed | ms an article (next 500) | stories open | peak memory |",
        "|---|---|---|---|",
        *[f"| {n:,} | {ms:.2f} | {open_:,} | {mb:,.0f} MB |" for n, ms, open_, mb in cost],
    ]
    if len(cost) >= 2:
        growth, memory = cost[-1][1] / cost[0][1], cost[-1][3] / cost[0][3]
        lines += [
            "",
            f"Time flat within 2×: **{'met' if growth <= 2 else 'not met'}** ({growth:.2f}× from the first size to"
            f" the last). Memory flat within 2×: **{'met' if memory <= 2 else 'not met'}** ({memory:.2f}×).",
            "",
            "Time grows here, as far as we can tell, because every cycle makes each text one more copy of itself (not"
            " profiled at both sizes): at 10,000 articles a text"
            " has about 45 copies, at 100,000 about 450, and the copy finder compares each new text with its"
            " candidates (at most 500: past that the cost stops growing). A real archive's texts do not gain"
            " copies as it grows; this stream is the worst case, and its ratio is reported as measured.",
            "",
            "The copy finder's MinHash signatures and LSH buckets are in SQLite on disk (copies.sqlite3), the story"
            " finder keeps the stories of one time window and a fixed sample, so memory does not grow with the"
            " archive.",
        ]
    OUTPUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"bench.stories: wrote {OUTPUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
