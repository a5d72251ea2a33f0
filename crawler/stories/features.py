"""An article as the story finder compares it: weighted terms of two kinds, after Miranda et al.
("Multilingual Clustering of Streaming News", EMNLP 2018), who compare each kind apart.

- ``words``: the lemmas of the title and text (the catalogue's lemmas, so every form of a word
  is one term), the title's counted ``TITLE_WEIGHT`` times; digits and one- or two-letter words
  left out.
- ``names``: the proper names, as spelling-proof keys (``texts.name_key``), which is what lets a
  Russian or Ukrainian report meet an English one.

Weights are TF-IDF with the document frequencies the finder has seen so far (``Vocabulary``),
the terms of more than half the articles left out (stop words, found from the archive rather than
listed per language), each vector scaled to length 1, so similarities are cosines in [0, 1].
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from crawler.catalog.lemmas import lemma_text
from crawler.stories.texts import names, plain_text

#: The title's words count this many times each: a headline says what the story is.
TITLE_WEIGHT = 3
#: Terms of a vector kept (the heaviest): enough to describe a story, a bound on cost.
MAX_TERMS = 300
#: A term found in more than this share of the articles seen says nothing about which story an
#: article tells (the, have, say: the corpus's own stop words, in any language); left out once
#: ``COMMON_AFTER`` articles are seen (before, a share means little).
COMMON_SHARE, COMMON_AFTER = 0.5, 20


def word_counts(title: str | None, text: str, lang: str | None) -> Counter[str]:
    counts: Counter[str] = Counter()
    for weight, part in ((TITLE_WEIGHT, title or ""), (1, plain_text(text))):
        for term in lemma_text(part, lang).split():
            if len(term) > 2 and not term.isdigit():
                counts[term] += weight
    return counts


def name_counts(title: str | None, text: str, lang: str | None) -> Counter[str]:
    """The names of the text (not of the title: English headlines capitalise every word)."""
    return Counter(names(plain_text(text), lang))


class Vocabulary:
    """Document frequencies of the terms of every article seen, per kind: the IDF of a term."""

    def __init__(self) -> None:
        self.documents = 0
        self.frequency: dict[str, Counter[str]] = {"words": Counter(), "names": Counter()}

    def add(self, counts: dict[str, Counter[str]]) -> None:
        self.documents += 1
        for kind, terms in counts.items():
            self.frequency[kind].update(terms.keys())

    def idf(self, kind: str, term: str) -> float:
        return math.log((self.documents + 1) / (self.frequency[kind][term] + 1)) + 1.0

    def weigh(self, kind: str, counts: Counter[str]) -> dict[str, float]:
        """TF-IDF of ``counts`` (sublinear TF) without the common terms, the ``MAX_TERMS``
        heaviest, scaled to length 1."""
        frequency = self.frequency[kind]
        if self.documents >= COMMON_AFTER:
            most = COMMON_SHARE * self.documents
            counts = Counter({t: n for t, n in counts.items() if frequency[t] <= most})
        weights = {t: (1 + math.log(n)) * self.idf(kind, t) for t, n in counts.items()}
        if len(weights) > MAX_TERMS:
            weights = dict(sorted(weights.items(), key=lambda kv: -kv[1])[:MAX_TERMS])
        return normalised(weights)

    def weigh_title(self, title: str, lang: str | None) -> dict[str, float]:
        """The word vector of a title alone (to find the title closest to a story's centroid)."""
        return self.weigh("words", word_counts(title, "", lang))


def normalised(weights: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(w * w for w in weights.values()))
    return {t: w / norm for t, w in weights.items()} if norm else {}


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    """Cosine of two vectors of length 1 (or 0)."""
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())


@dataclass
class ArticleFeatures:
    """One article's vectors and time, ready to compare."""

    key: int
    words: dict[str, float]
    names: dict[str, float]
    time: float | None  # POSIX seconds of publication (else first capture), None if unknown
    #: Its language as the catalogue lemmatises it (en, ru, uk) or None: words compare only within one.
    language: str | None = None
