"""What the story finder reads off an article's text: its words for shingling, its names.

- ``copy_words``: the words a text is compared by to find copies of it. Link URLs and Markdown
  are left out (a print rendering interleaves the links' URLs between paragraphs; a page
  rendering writes ``[AFP](#)``), case and line breaks do not count.
- ``names``: the proper names of a text, transliterated to Latin and reduced to a key that
  matches across languages and spellings (Герасимов, Gerasimov; Мілі, Milley).
"""

from __future__ import annotations

import re
from functools import lru_cache

from text_unidecode import unidecode

from crawler.catalog.lemmas import WORD

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_SENTENCE_END = re.compile(r"[.!?…:;\"»”]")
_VOWELS = re.compile(r"[aeiouy]+")


def plain_text(text: str) -> str:
    """The text with link URLs and Markdown link targets left out."""
    return _URL.sub(" ", _MARKDOWN_LINK.sub(r"\1", text))


def copy_words(title: str | None, text: str) -> list[str]:
    """The words of the body, lower case, as copies are compared (the title is left out: a wire
    copy often gets a headline of its own)."""
    return [w.lower() for w in WORD.findall(plain_text(text))]


@lru_cache(maxsize=65536)
def name_key(word: str) -> str:
    """A spelling-proof key of a name: transliterated, lower case, vowels and doubled letters
    dropped, but its first letter kept (Gerasimov → grsmv; Мілі, Milley → ml; Kyiv, Київ → kv)."""
    latin = re.sub(r"[^a-z]", "", unidecode(word).lower())
    if not latin:
        return ""
    skeleton = latin[0] + _VOWELS.sub("", latin[1:])
    return re.sub(r"(.)\1+", r"\1", skeleton)


def names(text: str, lang: str | None) -> list[str]:
    """The keys of the capitalised words that do not start a sentence (names, mostly), in order.
    Keys drop vowels, so most case endings go with them (Герасимова, Герасимову → grsmv); the
    words are not lemmatised, because simplemma's Ukrainian takes Герасимов for Герасим."""
    found = []
    for line in text.splitlines():
        previous_end = 0
        for match in WORD.finditer(line):
            word = match.group()
            start, previous = match.start(), previous_end
            previous_end = match.end()
            if not word[0].isupper() or len(word) < 2:
                continue
            # A sentence starts at the line's start or after a full stop (or a colon, a quote).
            if previous and not _SENTENCE_END.search(line, previous, start):
                key = name_key(word)
                if len(key) >= 2:
                    found.append(key)
    return found
