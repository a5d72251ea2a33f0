"""What each version of a story says that the others do not: its sentences no other outlet has.

A sentence is another's when at least ``SHARED_JACCARD`` of their words (lemmas, short words
left out) are the same: a reworded sentence of a wire copy is still that sentence; two sentences
on one subject are not.
"""

from __future__ import annotations

import re

from crawler.catalog.lemmas import lemma_text

#: Share of two sentences' words in common (Jaccard) from which they count as one sentence.
SHARED_JACCARD = 0.5
_SENTENCE = re.compile(r"(?<=[.!?…»”\"])\s+(?=[\"«“(]?[A-ZА-ЯЁІЇЄҐ0-9])")


def sentences(text: str) -> list[str]:
    """The sentences of a text, paragraph by paragraph."""
    found = []
    for paragraph in text.split("\n"):
        found += [s.strip() for s in _SENTENCE.split(paragraph.strip()) if s.strip()]
    return found


def _words(sentence: str, lang: str | None) -> frozenset[str]:
    return frozenset(w for w in lemma_text(sentence, lang).split() if len(w) > 2)


def only_here(versions: list[tuple[str, str, str | None]]) -> list[list[tuple[str, bool]]]:
    """For each version (outlet, text, language), its sentences, each marked True when no
    version of another outlet has it."""
    split = [[(s, _words(s, lang)) for s in sentences(text)] for _, text, lang in versions]
    index: dict[str, set[tuple[int, int]]] = {}
    for v, found in enumerate(split):
        for i, (_, words) in enumerate(found):
            for word in words:
                index.setdefault(word, set()).add((v, i))
    marked = []
    for v, found in enumerate(split):
        outlet = versions[v][0]
        out = []
        for sentence, words in found:
            candidates = {pair for word in words for pair in index.get(word, ()) if versions[pair[0]][0] != outlet}
            shared = any(
                len(words & split[cv][ci][1]) / max(1, len(words | split[cv][ci][1])) >= SHARED_JACCARD
                for cv, ci in candidates
            )
            out.append((sentence, not shared and bool(words)))
        marked.append(out)
    return marked
