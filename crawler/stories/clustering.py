"""Stories: articles about one event, grouped online as they arrive (Miranda et al., EMNLP 2018).

Each article is compared with the stories active in its time window (a story whose last article
is at most ``WINDOW_DAYS`` older), found through an inverted index of the stories' heaviest
terms, so the cost of one article does not grow with the archive. Its similarity to a story is
the mean of the cosines of its word vector and its name vector with the story's centroids
(``features``). It joins the most similar story when that similarity passes ``threshold``;
otherwise it starts a story of its own.

The threshold is not a constant tuned on a labelled set. It follows from what unrelated articles
look like: for each new article, the similarities to a sample of earlier articles (``SAMPLE``,
drawn uniformly from all of them) are the background; the article joins a story only when its
similarity to it stands ``SIGMAS`` standard deviations above that background's mean, and at
least at ``FLOOR``. A story is an outlier of closeness, whatever the vocabulary of the archive.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_matrix

from crawler.catalog.lemmas import language_of
from crawler.stories.features import ArticleFeatures, Vocabulary, cosine, name_counts, normalised, word_counts

#: A story is still open to an article published at most this long after its last one.
WINDOW_DAYS = 7.0
#: Earlier articles an article is compared with to know the background similarity.
SAMPLE = 200
#: Standard deviations above the background a story's similarity must stand (two: the usual
#: cut for an outlier).
SIGMAS = 2.0
#: ... and at least this (a cosine): an article like nothing gets a story of its own.
FLOOR = 0.1
#: Until this many articles are sampled, the background is not known and this bar holds.
COLD_SAMPLE, COLD_BAR = 10, 0.3
#: Terms of each kind a story is found by in the inverted index.
INDEX_TERMS = 25
#: Terms a story's centroid keeps per kind (the heaviest).
CENTROID_TERMS = 1000


@dataclass
class Story:
    """A group of articles and the sums of their vectors."""

    id: int
    members: list[int] = field(default_factory=list)
    words: Counter[str] = field(default_factory=Counter)
    names: Counter[str] = field(default_factory=Counter)
    first: float | None = None
    last: float | None = None
    languages: Counter[str] = field(default_factory=Counter)
    _normal: tuple[dict[str, float], dict[str, float]] | None = None

    def centroids(self) -> tuple[dict[str, float], dict[str, float]]:
        if self._normal is None:
            self._normal = (normalised(dict(self.words)), normalised(dict(self.names)))
        return self._normal

    def speaks(self, language: str | None) -> bool:
        """Whether the story has an article in ``language`` (unknown languages compare by words)."""
        return language is None or not self.languages or language in self.languages

    def add(self, article: ArticleFeatures) -> None:
        self.members.append(article.key)
        if article.language:
            self.languages[article.language] += 1
        for total, vector in ((self.words, article.words), (self.names, article.names)):
            total.update(vector)
            if len(total) > CENTROID_TERMS * 2:
                for term, _ in total.most_common()[CENTROID_TERMS:]:
                    del total[term]
        if article.time is not None:
            self.first = article.time if self.first is None else min(self.first, article.time)
            self.last = article.time if self.last is None else max(self.last, article.time)
        self._normal = None

    def index_terms(self) -> set[str]:
        return {"w:" + t for t, _ in self.words.most_common(INDEX_TERMS)} | {
            "n:" + t for t, _ in self.names.most_common(INDEX_TERMS)
        }


def similarity(
    article: ArticleFeatures, words: dict[str, float], names: dict[str, float], same_language: bool = True
) -> float:
    """Mean of the word and name cosines (the word cosine alone when either has no names; the
    name cosine alone across languages, where words have nothing to compare)."""
    if not same_language:
        return cosine(article.names, names)
    by_words = cosine(article.words, words)
    if not article.names or not names:
        return by_words
    return (by_words + cosine(article.names, names)) / 2


class Background:
    """The sample of earlier articles as two sparse matrices (words, names), to compare one new
    article with all of them in one product instead of a cosine each."""

    def __init__(self, sample: list[ArticleFeatures]) -> None:
        self.ids: dict[str, dict[str, int]] = {"words": {}, "names": {}}
        self.matrices = {kind: self._matrix(kind, sample) for kind in ("words", "names")}
        self.has_names = np.array([bool(a.names) for a in sample])
        self.languages = [a.language for a in sample]

    def _matrix(self, kind: str, sample: list[ArticleFeatures]):
        ids = self.ids[kind]
        rows, cols, values = [], [], []
        for row, article in enumerate(sample):
            for term, weight in getattr(article, kind).items():
                rows.append(row)
                cols.append(ids.setdefault(term, len(ids)))
                values.append(weight)
        return csr_matrix((values, (rows, cols)), shape=(len(sample), max(1, len(ids))))

    def _vector(self, kind: str, weights: dict[str, float]) -> np.ndarray:
        ids = self.ids[kind]
        vector = np.zeros(max(1, len(ids)))
        for term, weight in weights.items():
            index = ids.get(term)
            if index is not None:
                vector[index] = weight
        return vector

    def similarities(self, article: ArticleFeatures) -> np.ndarray:
        """``similarity`` of the article with each sampled article (the same rule, vectorised)."""
        by_words: np.ndarray = np.asarray(self.matrices["words"] @ self._vector("words", article.words))
        by_names: np.ndarray = np.asarray(self.matrices["names"] @ self._vector("names", article.names))
        same = np.array([a is None or article.language is None or a == article.language for a in self.languages])
        mixed = np.where(self.has_names & bool(article.names), (by_words + by_names) / 2, by_words)
        return np.where(same, mixed, by_names)


@dataclass(frozen=True)
class Placement:
    """Where an article went: its story, its similarity to it, and the bar it had to pass."""

    story: int
    similarity: float
    threshold: float
    new: bool


class StoryFinder:
    """Online clustering of articles into stories (``add`` them in order of publication)."""

    def __init__(self, window_days: float = WINDOW_DAYS, sigmas: float = SIGMAS, floor: float = FLOOR, seed: int = 0):
        self.vocabulary = Vocabulary()
        self.stories: dict[int, Story] = {}
        self.window = window_days * 86400
        self.sigmas = sigmas
        self.floor = floor
        self.index: dict[str, set[int]] = defaultdict(set)
        self.sample: list[ArticleFeatures] = []
        self.seen = 0
        self.random = random.Random(seed)
        self.next_id = 1
        self.closed_until = float("-inf")
        #: Stories closed since the caller last emptied this (it writes them out, then clears it).
        self.closed: dict[int, Story] = {}
        #: The story of each article of an open story (a copy joins its original's story).
        self.member_story: dict[int, int] = {}
        self._sample_matrix: Background | None = None
        self._stale = 0

    def features(self, key: int, title: str | None, text: str, lang: str | None, time: float | None) -> ArticleFeatures:
        """The article's vectors, weighed with what was seen before it; the vocabulary learns it."""
        counts = {"words": word_counts(title, text, lang), "names": name_counts(title, text, lang)}
        self.vocabulary.add(counts)
        return ArticleFeatures(
            key,
            self.vocabulary.weigh("words", counts["words"]),
            self.vocabulary.weigh("names", counts["names"]),
            time,
            language_of(lang),
        )

    def threshold(self, article: ArticleFeatures) -> float:
        """The bar for this article: ``sigmas`` above its mean similarity to earlier articles."""
        if len(self.sample) < COLD_SAMPLE:
            return max(self.floor, COLD_BAR)  # too little seen to know the background
        values = self._background().similarities(article)
        return max(self.floor, float(values.mean() + self.sigmas * values.std()))

    def _background(self) -> Background:
        if self._sample_matrix is None:
            self._sample_matrix = Background(self.sample)
        return self._sample_matrix

    def _candidates(self, article: ArticleFeatures) -> set[int]:
        terms = {"w:" + t for t in sorted(article.words, key=lambda t: -article.words[t])[:INDEX_TERMS]}
        terms |= {"n:" + t for t in article.names}
        found: set[int] = set()
        for term in terms:
            found |= self.index.get(term, set())
        if article.time is None:
            return found
        moment = article.time
        return {s for s in found if self._open_to(self.stories[s], moment)}

    def _open_to(self, story: Story, moment: float) -> bool:
        """Whether an article of ``moment`` may join ``story``: within the window of its span."""
        if story.first is None or story.last is None:
            return True
        return story.first - self.window <= moment <= story.last + self.window

    def place(self, article: ArticleFeatures, copy_of: Iterable[int] = ()) -> Placement:
        """Put the article in the story it belongs to, or a new one. A copy of an article of an
        open story (``copy_of``: the copy finder's, best first) is one text with it: it joins that
        story without a comparison, and stays out of the background sample (a wire text in 300
        places is one text of the archive, not 300: else the background would be that text, and
        the bar for its next copy above its own similarity)."""
        for key in copy_of:
            story_id = self.member_story.get(key)
            if story_id is not None and story_id in self.stories:
                self._join(self.stories[story_id], article)
                return Placement(story_id, 1.0, 0.0, False)
        best, best_similarity = None, 0.0
        for story_id in self._candidates(article):
            story = self.stories[story_id]
            words, names = story.centroids()
            value = similarity(article, words, names, story.speaks(article.language))
            if value > best_similarity:
                best, best_similarity = story_id, value
        bar = self.threshold(article)
        new = best is None or best_similarity < bar
        if new:
            best = self.next_id
            self.next_id += 1
            self.stories[best] = Story(best)
        story = self.stories[best]  # type: ignore[index]
        self._join(story, article)
        self._remember(article)
        return Placement(story.id, round(best_similarity, 4), round(bar, 4), new)

    def _join(self, story: Story, article: ArticleFeatures) -> None:
        for term in story.index_terms():
            self.index[term].discard(story.id)
        story.add(article)
        for term in story.index_terms():
            self.index[term].add(story.id)
        self.member_story[article.key] = story.id
        if article.time is not None:
            self._close_before(article.time - 2 * self.window)

    def _close_before(self, moment: float) -> None:
        """Close the stories whose last article is older than ``moment``: no article can join them
        any more. They move to ``closed`` until the caller takes them, so memory stays bounded by
        the stories of one window."""
        if moment <= self.closed_until + self.window / 4:
            return
        self.closed_until = moment
        for story_id in [s for s, story in self.stories.items() if story.last is not None and story.last < moment]:
            for term in self.stories[story_id].index_terms():
                self.index[term].discard(story_id)
            self.closed[story_id] = self.stories.pop(story_id)
            for member in self.closed[story_id].members:
                self.member_story.pop(member, None)

    def _remember(self, article: ArticleFeatures) -> None:
        """Reservoir sampling: every article seen has the same chance to be in the sample."""
        self.seen += 1
        if len(self.sample) < SAMPLE:
            self.sample.append(article)
            self._changed()
        else:
            slot = self.random.randrange(self.seen)
            if slot < SAMPLE:
                self.sample[slot] = article
                self._changed()

    def _changed(self) -> None:
        """The sample changed: its matrices are made again once a tenth of it is new (a sample
        a few articles behind is as good a background, and the rebuild is the costly part)."""
        self._stale += 1
        if self._sample_matrix is None or self._stale >= max(1, len(self.sample) // 10):
            self._sample_matrix = None
            self._stale = 0

    def add(
        self, key: int, title: str | None, text: str, lang: str | None, time: float | None, copy_of: Iterable[int] = ()
    ) -> Placement:
        return self.place(self.features(key, title, text, lang, time), copy_of)
