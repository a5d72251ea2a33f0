"""Copies: texts that are one text (a wire copy in several outlets, a page and its print
rendering, a later version of the same article), found by MinHash and LSH (datasketch).

Each text is its set of word 5-shingles (``texts.copy_words``). ``CopyFinder.add`` asks the LSH
index for candidates (estimated Jaccard similarity at least ``CANDIDATE_JACCARD``) and keeps
those whose estimated *containment* (the share of the shorter text's shingles that the other
has) is at least ``COPY_CONTAINMENT``: a copy with boilerplate or a headline added is still one
text, two articles on one event quoting the same sentence are not. The cost of one addition is
one MinHash (``NUM_PERM`` hashes of each shingle) and one LSH lookup, whatever the archive's size.

The index lives in SQLite, not in memory, so that memory stays flat as the archive grows: each
text's signature (``NUM_PERM`` 32-bit values, 512 bytes) and its LSH buckets (datasketch's
banding for ``CANDIDATE_JACCARD``: ``BANDS`` bands of ``ROWS`` values, each band one 64-bit
bucket key) are rows of ``ARCHIVE_DIR/copies.sqlite3``; a lookup is ``BANDS`` B-tree probes.
datasketch computes the MinHash and chooses the banding; SQLite only keeps the buckets, as
datasketch's own Redis and Cassandra storages would.
"""

from __future__ import annotations

import hashlib
import sqlite3
import zlib
from dataclasses import dataclass
from pathlib import Path

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
#: datasketch's banding for the candidate threshold (37 bands of 3 values for 0.3 and 128).
_BANDING = MinHashLSH(threshold=CANDIDATE_JACCARD, num_perm=NUM_PERM)
BANDS, ROWS = _BANDING.b, _BANDING.r
del _BANDING


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


SCHEMA = """
CREATE TABLE IF NOT EXISTS signatures (key INTEGER PRIMARY KEY, size INTEGER NOT NULL, signature BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS buckets (bucket INTEGER NOT NULL, key INTEGER NOT NULL, PRIMARY KEY (bucket, key))
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS info (name TEXT PRIMARY KEY, value TEXT);
"""


def bucket_keys(values: np.ndarray) -> list[int]:
    """The text's LSH buckets: one signed 64-bit key per band (the band's number and values hashed)."""
    keys = []
    for band in range(BANDS):
        chunk = values[band * ROWS : (band + 1) * ROWS].tobytes()
        digest = hashlib.blake2b(band.to_bytes(2, "little") + chunk, digest_size=8).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return keys


class CopyFinder:
    """The LSH index of every text added, by key (the catalogue's article id), in SQLite at
    ``path`` (in memory when None). ``commit`` makes what was added durable."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else None
        self.conn = sqlite3.connect(str(path) if path else ":memory:")
        # A page cache of its own (32 MB, fixed): the buckets' B-tree's upper levels stay in memory.
        self.conn.execute("PRAGMA cache_size = -32768")
        self.conn.executescript(SCHEMA)

    def close(self) -> None:
        self.conn.close()

    def commit(self) -> None:
        self.conn.commit()

    def __len__(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM signatures").fetchone()[0])

    def info(self, name: str) -> str | None:
        row = self.conn.execute("SELECT value FROM info WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def set_info(self, name: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO info (name, value) VALUES (?, ?)", (name, value))

    def clear(self) -> None:
        self.conn.executescript("DELETE FROM signatures; DELETE FROM buckets; DELETE FROM info;")

    @staticmethod
    def _values(minhash: MinHash) -> np.ndarray:
        values: np.ndarray = minhash.hashvalues.astype(np.uint32)  # datasketch's values are below 2**32
        return values

    def find(self, minhash: MinHash, size: int, exclude: int | None = None) -> list[Copy]:
        if size < MIN_SHINGLES:
            return []
        values = self._values(minhash)
        keys = bucket_keys(values)
        rows = [
            row
            for row in self.conn.execute(
                f"SELECT s.key, s.size, s.signature FROM signatures s WHERE s.key IN"
                f" (SELECT DISTINCT key FROM buckets WHERE bucket IN ({','.join('?' * len(keys))}) LIMIT ?)",
                (*keys, MAX_CANDIDATES + 1),
            )
            if row[0] != exclude
        ][:MAX_CANDIDATES]
        if not rows:
            return []
        # Every candidate's estimated Jaccard similarity in one comparison of their signatures.
        signatures = np.frombuffer(b"".join(row[2] for row in rows), dtype=np.uint32).reshape(len(rows), NUM_PERM)
        jaccards = (signatures == values).mean(axis=1)
        found = []
        for (key, other_size, _), jaccard in zip(rows, jaccards, strict=True):
            share = containment(float(jaccard), size, other_size)
            if share >= COPY_CONTAINMENT:
                found.append(Copy(key, round(share, 3)))
        found.sort(key=lambda c: (-c.containment, c.key))
        return found

    def add(self, key: int, minhash: MinHash, size: int) -> list[Copy]:
        """Index the text ``key`` and return its copies among those added before."""
        self.remove(key)
        copies = self.find(minhash, size, exclude=key)
        values = self._values(minhash)
        self.conn.execute(
            "INSERT INTO signatures (key, size, signature) VALUES (?, ?, ?)", (key, size, values.tobytes())
        )
        if size >= MIN_SHINGLES:
            self.conn.executemany(
                "INSERT OR IGNORE INTO buckets (bucket, key) VALUES (?, ?)", [(b, key) for b in bucket_keys(values)]
            )
        return copies

    def remove(self, key: int) -> None:
        row = self.conn.execute("SELECT signature FROM signatures WHERE key = ?", (key,)).fetchone()
        if row is None:
            return
        buckets = bucket_keys(np.frombuffer(row[0], dtype=np.uint32))
        self.conn.executemany("DELETE FROM buckets WHERE bucket = ? AND key = ?", [(b, key) for b in buckets])
        self.conn.execute("DELETE FROM signatures WHERE key = ?", (key,))
