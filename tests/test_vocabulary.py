"""Every vocabulary family against its own examples: the lines it must match, by language, and
the look-alike lines with the same words that it must not."""

from __future__ import annotations

import pytest

from crawler.extraction import vocabulary
from crawler.extraction.vocabulary import FAMILIES, Family, join

#: The archive's own languages: a family written for one of them shows a line in it.
ARCHIVE_LANGUAGES = {"en", "ru", "uk"}


@pytest.mark.parametrize("family", FAMILIES, ids=lambda family: family.name)
def test_family_matches_its_examples_and_not_its_lookalikes(family: Family):
    assert family.languages, f"{family.name}: no languages"
    lines = [line for examples in family.examples.values() for line in examples]
    assert lines, f"{family.name}: no example it must match"
    missing = sorted(ARCHIVE_LANGUAGES & set(family.languages) - set(family.examples))
    assert not missing, f"{family.name}: written for {missing} without an example in it"
    pattern = family.compile()
    for line in lines:
        assert pattern.search(line), f"{family.name} misses {line!r}"
    for line in family.lookalikes:
        assert not pattern.search(line), f"{family.name} takes {line!r}"
    for use, patterns in family.uses.items():
        assert set(patterns) <= set(family.patterns), use


def test_every_family_is_listed_once():
    defined = [value for value in vars(vocabulary).values() if isinstance(value, Family)]
    assert sorted(f.name for f in defined) == sorted(f.name for f in FAMILIES)
    assert len({f.name for f in FAMILIES}) == len(FAMILIES)


def test_an_empty_group_is_refused():
    with pytest.raises(ValueError):
        join(())
    with pytest.raises(ValueError):
        Family("nothing", ("en",), (), {"en": ("anything",)})
    with pytest.raises(ValueError):
        Family("words", ("en",), ("and",), {"en": ("A and B",)}, uses={"narrow": ("or",)})
