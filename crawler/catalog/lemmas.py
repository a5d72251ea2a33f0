"""Words and their lemmas: what the catalogue's full-text index holds, and what a query looks for.

Russian and Ukrainian are inflected (``Києва``, ``Києві`` are ``Київ``; ``Герасимова`` is
``Герасимов``), and SQLite's ``unicode61`` tokenizer folds case but does not stem. So the index
holds each word's lemma (simplemma: English, Russian, Ukrainian), in the order of the words, and
a query word is looked up as each of its lemmas. Words are what ``unicode61`` takes for tokens
(runs of letters and digits), so the lemma text lines up with the text word for word: phrases and
snippets work on it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

#: The languages the catalogue lemmatises. A text in another language (or none) is indexed as it
#: is written (lower case), which is what its query words are looked up as too.
LANGUAGES = ("en", "ru", "uk")

#: A word as SQLite's unicode61 tokenizer sees one: letters, digits (and combining marks).
WORD = re.compile(r"[^\W_]+", re.UNICODE)

# Lemmas of words seen, per language: articles repeat their vocabulary, and a dict lookup is
# ~10x cheaper than simplemma's own. Bounded, so that a huge re-index cannot grow it without end.
_CACHE_LIMIT = 500_000
_cache: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}


def _lemma(word: str, lang: str) -> str:
    """One word's lemma in ``lang``, lower case, always a single token (else the word itself)."""
    # Imported here, not with the module: every crawl and extraction loads the catalogue's
    # pipeline, and most (the catalogue off, ``scrapy extract``) never lemmatise a word; the
    # import takes ~40 ms of each such command's start.
    import simplemma

    lemma: str = simplemma.lemmatize(word, lang=lang).lower()
    if not WORD.fullmatch(lemma):  # a lemma with a space or a hyphen would shift the words after it
        return word.lower()
    return lemma


def lemma_of(word: str, lang: str | None) -> str:
    """The indexed form of ``word`` in a text of language ``lang`` (a catalogue language or not)."""
    cache = _cache.get(lang or "")
    if cache is None:
        return word.lower()
    lemma = cache.get(word)
    if lemma is None:
        lemma = _lemma(word, lang)  # type: ignore[arg-type]  # lang is one of LANGUAGES here
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[word] = lemma
    return lemma


def language_of(code: str | None) -> str | None:
    """The catalogue language of an article's language code (``ru``, ``ru-RU``, ``uk_UA``), or None."""
    if not code:
        return None
    base = code.replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


def words(text: str) -> Iterator[re.Match[str]]:
    """The words of ``text`` with their places (the tokens unicode61 makes of it)."""
    return WORD.finditer(text)


def lemma_text(text: str | None, lang: str | None) -> str:
    """``text`` as the index holds it: the lemma of each word, in order, separated by spaces."""
    if not text:
        return ""
    lang = language_of(lang)
    found = WORD.findall(text)
    if lang is None:
        return " ".join(found).lower()
    cache = _cache[lang]
    get = cache.get
    return " ".join([get(word) or lemma_of(word, lang) for word in found])


@lru_cache(maxsize=4096)
def query_forms(word: str) -> tuple[str, ...]:
    """What a query word is looked up as (lower case, no repeats): the word, its lemma in every
    catalogue language, and their lemmas in turn. The query has no language, and simplemma's
    languages disagree (Ukrainian takes Герасимов for Герасим but Герасимова for itself, Russian
    both for Герасимов): an article matches when its own language's lemma of one of its words is
    among these."""
    import simplemma  # when first used (see _lemma)

    found = {word}
    for _ in range(2):
        found |= {simplemma.lemmatize(form, lang=lang) for form in found for lang in LANGUAGES}
    forms = sorted((f.lower() for f in found if WORD.fullmatch(f)), key=lambda f: (f != word.lower(), f))
    return tuple(dict.fromkeys(forms))
