"""Copies: texts that are one text (a wire copy in several outlets, a page and its print
rendering, a later version of the same article), found by MinHash and LSH (datasketch).

Each text is its set of word 5-shingles (``texts.copy_words``). ``CopyFinder.add`` asks the LSH
index for candidates (estimated Jaccard similarity at least ``CANDIDATE_JACCARD``) and keeps
those whose estimated *containment* (the share of the shorter text's shingles that the other
has) is at least ``COPY_CONTAINMENT``: a copy with boilerplate or a headline added is still one
text, two articles on one event quoting the same sentence are not. The cost of one addition is
one MinHash (``NUM_PERM`` hashes of each shingle) and one LSH lookup, whatever the archive's size.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash, MinHashLSH

#: Words per shingle. 5 is the usual choice for near-duplicate text (Broder; trafilatura's
#: benchmark measures bodies by word 4-shingles): shorter shingles make different texts on one
#: subject look alike, longer ones make one copy with small edits look different.
SHINGLE = 5
#: Hash functions per MinHash: the estimate's standard error is about 1/sqrt(NUM_PERM) (0.09).
NUM_PERM = 128
#: LSH candidates: pairs whose estimated Jaccard similarity is at least this. Low, because a copy
#: inside a longer page (boilerplate added) has a low Jaccard but a high containment.
CANDIDATE_JACCARD = 0.3
#: One text: at least this share of the shorter text's shingles are in the other. Half, so that
#: "most of one text is the other" is the rule; different articles share a few quoted sentences
#: at most (a few percent of their shingles).
COPY_CONTAINMENT = 0.5
#: A text with fewer shingles than this is too short to call anything a copy of it.
MIN_SHINGLES = 8
#: The most copies one text lists (10,000 copies of one wire text list 50).
MAX_LISTED = 50
#: LSH candidates checked at most per text: 10,000 copies of one wire text fall in one bucket,
#: and checking them all would make each new copy cost more than the last.
MAX_CANDIDATES = 500

_SEED = 1


def shingle_hashes(words: list[str]) -> np.ndarray:
    """The 32-bit hashes of the text's distinct word shingles."""
    if len(words) < SHINGLE:
        return np.zeros(0, dtype=np.uint32)
    grams = {" ".join(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}
    # CRC-32: stable across processes (the signatures are kept), and cheap.
    return np.fromiter((zlib.crc32(g.encode("utf-8")) for g in grams), dtype=np.uint32, count=len(grams))


def signature(words: list[str]) -> tuple[MinHash, int]:
    """The MinHash of a text's shingles, and how many distinct shingles it has."""
    hashes = shingle_hashes(words)
    minhash = MinHash(num_perm=NUM_PERM, seed=_SEED, hashfunc=_identity)
    if len(hashes):
        minhash.update_batch(hashes.astype(np.uint64))
    return minhash, len(hashes)


def _identity(value):  # update_batch hands over the shingles' own hashes
    return value


def containment(jaccard: float, size_a: int, size_b: int) -> float:
    """The share of the smaller set in the larger, from their Jaccard similarity and sizes:
    |A ∩ B| = J (|A| + |B|) / (1 + J)."""
    if not size_a or not size_b:
        return 0.0
    common = jaccard * (size_a + size_b) / (1 + jaccard)
    return min(1.0, common / min(size_a, size_b))


@dataclass(frozen=True)
class Copy:
    """Another text that is one with the added one, and how sure: its estimated containment."""

    key: int
    containment: float


class CopyFinder:
    """The LSH index of every text added, by key (the catalogue's article id)."""

    def __init__(self) -> None:
        self.lsh = MinHashLSH(threshold=CANDIDATE_JACCARD, num_perm=NUM_PERM)
        self.signatures: dict[int, tuple[MinHash, int]] = {}

    def __len__(self) -> int:
        return len(self.signatures)

    def find(self, minhash: MinHash, size: int, exclude: int | None = None) -> list[Copy]:
        if size < MIN_SHINGLES:
            return []
        found = []
        for n, key in enumerate(self.lsh.query(minhash)):
            if n >= MAX_CANDIDATES:
                break
            if key == exclude:
                continue
            other, other_size = self.signatures[key]
            share = containment(minhash.jaccard(other), size, other_size)
            if share >= COPY_CONTAINMENT:
                found.append(Copy(key, round(share, 3)))
        found.sort(key=lambda c: (-c.containment, c.key))
        return found

    def add(self, key: int, minhash: MinHash, size: int) -> list[Copy]:
        """Index the text ``key`` and return its copies among those added before."""
        if key in self.signatures:
            self.remove(key)
        copies = self.find(minhash, size, exclude=key)
        if size >= MIN_SHINGLES:
            self.lsh.insert(key, minhash)
        self.signatures[key] = (minhash, size)
        return copies

    def remove(self, key: int) -> None:
        if key in self.signatures:
            if key in self.lsh:
                self.lsh.remove(key)
            del self.signatures[key]
