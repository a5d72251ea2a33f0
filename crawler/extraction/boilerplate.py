"""Lines that are page furniture on news sites of any outlet, not article text.

Applied to every extracted paragraph after the outlet's own rules. Each pattern
is a general convention of news pages (a "Related:" teaser, a newsletter prompt,
a comments header, a table rule left by text conversion); none names a site.
"""

from __future__ import annotations

import re

GENERIC_PARAGRAPHS = tuple(
    re.compile(pattern, re.I)
    for pattern in (
        # the rule line of a table rendered as text
        r"^\|?[\s|:-]+\|?$",
        # a lone section label
        r"^(comments?|tags?|more:?|share( this)?( article| story)?:?|advertisement|related( articles| stories| posts)?:?"
        r"|you may also like\.*|don'?t miss|read more|recommended( for you)?)$",
        # a teaser introduced by its label
        r"^(related|related post|related article|read more|read also|see also|more|filed under|most read|trending"
        r"|recommended|watch|listen|download|itunes)\s*:",
        r"^like this (story|article)\?",
        r"^(sign up|subscribe) (to|for) .{0,60}newsletter",
        r"^.{0,60}\bnewsletter$",
        r"^tell us what you think",
        # a headline teaser tagged like "[INSIGHT]" or "[VIDEO]"
        r"\[(insight|reaction|warning|video|pictures|poll|latest|live|update|more)\]\|?$",
    )
)


def is_generic_boilerplate(paragraph: str) -> bool:
    return any(pattern.search(paragraph) for pattern in GENERIC_PARAGRAPHS)
