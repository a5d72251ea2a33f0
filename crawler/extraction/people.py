"""Who wrote it: author strings split into persons and credited organizations.

Bylines come as "By A, B and C", "Felix Schröder und Jörg Soldwisch, dpa",
"Elena Oberholzer (obe)", "Autor Monika Bolliger", an e-mail address, or the
outlet's own name standing in for a person. ``credit`` turns any of these into
persons and organizations (news agencies, an outlet's staff or desk, the
publisher itself), dropping what names nobody (addresses, numbers).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from crawler.extraction.normalize import normalize_text
from crawler.extraction.vocabulary import (
    BYLINE_LABELS,
    INNER_BYLINE_LABELS,
    JOB_TITLE_SUFFIXES,
    JOB_TITLES,
    JOIN_WORDS,
    NAME_PARTICLES,
    NEWS_AGENCIES,
    ORGANIZATION_WORDS,
    join,
)

#: News agencies, by the names and abbreviations they are credited with.
AGENCIES = frozenset(NEWS_AGENCIES.patterns)
_ORG_WORDS = ORGANIZATION_WORDS.compile()
_PREFIXES = BYLINE_LABELS.compile()
#: Between two names in a credit: punctuation, or any join word.
_JOINS = re.compile(r"\s*(?:,|;|&|\+|/|" + JOIN_WORDS.expression() + r")\s*", JOIN_WORDS.flags)
#: Between two names in a line of names: punctuation, or the join words that use has always trusted.
_NAME_LINE_JOINS = re.compile(r"\s*[/,&]\s*|\s+(?:" + join(JOIN_WORDS.used_by("line of names"), literal=True) + r")\s+")
_PAREN = re.compile(r"\s*[\(\[][^\)\]]{1,30}[\)\]]\s*$")
_EMAIL = re.compile(r"\S+@\S+\.\w+")
#: A job title on its own ("News Reporter", "CNN Editor-at-large", "Senior Correspondent"): it
#: names nobody, it describes the person credited beside it.
_ROLE_ONLY = JOB_TITLES.compile()
#: Job titles after the name in Korean, Japanese and Chinese bylines ("홍길동 기자", "山田太郎記者").
_ROLE_SUFFIX = JOB_TITLE_SUFFIXES.compile()
#: A byline label inside a credit, capitalised as a label and not as a name particle
#: ("Capital Von Jemima Kelly": a column's name, then the author; "Ursula von der Leyen" stays).
_INNER_LABEL = INNER_BYLINE_LABELS.compile()


@dataclass
class Credit:
    persons: list[str] = field(default_factory=list)
    organizations: list[str] = field(default_factory=list)

    def add(self, name: str, is_org: bool) -> None:
        target = self.organizations if is_org else self.persons
        if name.lower() not in {n.lower() for n in self.persons + self.organizations}:
            target.append(name)


def squash(text: str) -> str:
    """Lower case, letters and digits only: how names are compared."""
    return re.sub(r"[\W_]+", "", text.lower())


_SQUASHED_AGENCIES = frozenset(squash(a) for a in AGENCIES)


def is_organization(name: str, site_names: Iterable[str] = frozenset()) -> bool:
    lowered = name.lower().strip()
    if lowered in AGENCIES or squash(name) in _SQUASHED_AGENCIES:
        return True
    squashed = squash(name)
    sites = {squash(site) for site in site_names} - {""}
    if any(squashed == site or (len(site) > 3 and site in squashed) for site in sites):
        return True
    if _ORG_WORDS.search(name):
        return True
    # The outlet's short name written as an acronym inside the credit ("MDR SACHSEN-ANHALT" on mdr.de).
    acronyms = {word.lower() for word in re.findall(r"\b[A-Z]{2,6}\b", name)}
    if acronyms & sites:
        return True
    # A bare acronym ("TPN", "BBC") is an organization, not a person.
    return " " not in name and name.isupper() and len(name) <= 6


def clean_name(raw: str) -> str | None:
    name = normalize_text(raw)
    name = _PREFIXES.sub("", name)
    name = _PAREN.sub("", name).strip(" ,;:-–|")
    name = _INNER_LABEL.split(name)[-1]
    name = _ROLE_SUFFIX.sub("", name).strip()
    if not name or _EMAIL.fullmatch(name) or re.match(r"https?://", name) or re.fullmatch(r"[\d\W]+", name):
        return None
    if _ROLE_ONLY.match(name) or _is_description(name):
        return None
    if len(name) > 80:
        return None
    return name


def is_name_line(text: str) -> bool:
    """A line that is nothing but one to three person names ("Lê Phương", "MTHOBISI SITHOLE",
    "Mathatisi Sebusi/Mohalenyane Phakela"): each two to four capitalised words, no digits,
    no sentence punctuation."""
    if len(text) > 100 or re.search(r"[\d.!?:;\"«»“”„()]", text):
        return False
    names = [n for n in _NAME_LINE_JOINS.split(text.strip()) if n]
    if not 1 <= len(names) <= 3:
        return False
    for name in names:
        words = name.split()
        if not 2 <= len(words) <= 4 or not all(w[0].isupper() for w in words):
            return False
    return True


#: Lower-case words that belong in names ("Ursula von der Leyen", "Luiz Inácio Lula da Silva").
_NAME_PARTICLES = frozenset(NAME_PARTICLES.patterns)


def _is_description(name: str) -> bool:
    """Words about the person, not a name: five or more words, two of them lower case
    ("Mykolo Romerio universiteto … fakulteto profesorius" after "Povilas Aleksandravičius,")."""
    words = name.split()
    return len(words) >= 5 and sum(w[0].islower() for w in words if w not in _NAME_PARTICLES) >= 2


def is_byline_line(text: str) -> bool:
    """A byline left in the text: its label and the names, nothing else ("Von Nina Magoley",
    "By Jane Doe and John Roe"). The names are the item's authors, not a paragraph."""
    label = _PREFIXES.match(text)
    return label is not None and is_name_line(text[label.end() :])


def split_credit(text: str) -> list[str]:
    """One credit string into its names ("A, B and C" -> [A, B, C])."""
    text = _PREFIXES.sub("", normalize_text(text))
    return [n for n in (clean_name(part) for part in _JOINS.split(text)) if n]


def credit(names: list[str], site_names: Iterable[str] = frozenset(), split: bool = True) -> Credit:
    """Persons and organizations from author names (each may hold several)."""
    result = Credit()
    for raw in names:
        parts = split_credit(raw) if split else [n for n in [clean_name(raw)] if n]
        for name in parts:
            result.add(name, is_organization(name, site_names))
    return result
