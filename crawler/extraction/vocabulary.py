"""Every phrase and word list extraction matches text against, as named families.

A family has a name, the languages it is written for, its patterns (regular expressions, or
literal words), the lines it must match by language and the look-alike lines it must not
(``tests/test_vocabulary.py`` tries them all). Its patterns are joined into one expression by
``join``, which refuses an empty group, between the ``before`` and ``after`` that say how the
family is used: what its user compiles is what the test tries.

Changing a family changes extraction output: run ``python -m bench.snapshot`` before and after,
and the benchmarks (``bench.metadata``, ``bench.extraction``) when the change is meant. Language
codes are ISO 639-1; ``*`` marks lines in no language in particular (a rule, a date, a sign).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


def join(patterns: Iterable[str], literal: bool = False) -> str:
    """Patterns as one alternation (words escaped when ``literal``); an empty group is refused."""
    patterns = tuple(patterns)
    if not patterns or not all(patterns):
        raise ValueError("an empty group of patterns matches everything or nothing")
    return "|".join(re.escape(p) for p in patterns) if literal else "|".join(patterns)


@dataclass(frozen=True, eq=False)
class Family:
    """One named group of phrases or words, its languages, and the lines that show what it takes."""

    name: str
    languages: tuple[str, ...]
    patterns: tuple[str, ...]
    #: Lines the family matches, by language: real lines, or shaped like real ones.
    examples: Mapping[str, tuple[str, ...]]
    #: Lines with the same words that it must not match: article sentences, names.
    lookalikes: tuple[str, ...] = ()
    flags: int = re.I
    #: Patterns are words, matched as written (escaped).
    literal: bool = False
    #: How the family is used: its alternation between these.
    before: str = ""
    after: str = ""
    #: The patterns a narrower use takes, by use (see ``used_by``).
    uses: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        join(self.patterns)  # refuse an empty family at import
        for use, patterns in self.uses.items():
            join(patterns)
            if missing := [p for p in patterns if p not in self.patterns]:
                raise ValueError(f"{use!r} takes what is not in {self.name}: {missing}")

    def expression(self) -> str:
        return self.before + join(self.patterns, self.literal) + self.after

    def compile(self) -> re.Pattern[str]:
        return re.compile(self.expression(), self.flags)

    def used_by(self, use: str) -> tuple[str, ...]:
        """The patterns of a use that trusts only some of the family's."""
        return self.uses[use]


# Page furniture: paragraphs that are not article text, on news sites of any outlet. Each pattern
# is a general convention of news pages in the languages where we met it; none names a site.

TABLE_RULE = Family(
    "table rule",
    ("*",),
    (r"^\|?[\s|:-]+\|?$",),  # the rule line of a table rendered as text
    {"*": ("|---|---|", "| :-- | --: |")},
    ("Scores: 3-1, 2-2",),
)
SECTION_LABEL = Family(
    "lone section label",
    ("en", "pl", "cs", "ru", "uk", "de", "fr", "es", "it", "ja", "zh", "ko"),
    (
        r"^(comments?|tags?|more:?|share( this)?( article| story)?:?|advertisement|related( articles| stories| posts)?:?"
        r"|you may also like\.*|don'?t miss|read more|read next|recommended( for you)?|article content"
        r"|most read( in [\w ]{1,30})?|popular|recommended videos"
        # the same lone labels in other languages
        r"|czytaj więcej|článek|reklama|реклама|подробнее|anzeige|werbung|publicité|publicidad|pubblicità"
        r"|おすすめ情報|関連記事|関連キーワード|相关新闻|相关阅读|관련기사)$",
    ),
    {
        "en": ("Read next", "Comments", "Share this article", "Most read in Europe", "Advertisement"),
        "ru": ("Реклама", "Подробнее"),
        "uk": ("Реклама",),
        "de": ("Anzeige",),
        "ja": ("関連記事",),
    },
    ("Read more about the offensive in our live coverage", "Реклама алкоголя запрещена с 2012 года."),
)
TEASER_LABEL = Family(
    "teaser label",
    ("en", "zu", "no", "sv", "da", "nl", "fr", "es", "it", "pl", "cs", "ru", "uk", "hu", "ro", "tr", "el"),
    (
        r"^(related|related post|related article|read more|read also|also read|read next|see also|more|filed under"
        r"|most read|trending|recommended|watch|listen|download|itunes|funda olunye udaba lapha)\s*[:|]",
        # "read also" in other languages
        r"^(les også|läs också|læs også|lees ook|lire aussi|à lire aussi|leer también|lea también|leggi anche"
        r"|czytaj (też|także|więcej)|čtěte také|přečtěte si také|читайте также|читайте також|olvassa el|citește și"
        r"|ayrıca okuyun|δείτε επίσης)\s*:",
    ),
    {
        "en": ("Related: Pentagon weighs new air defense package", "Watch: Drone footage of the strike"),
        "ru": ("Читайте также: Пять главных новостей дня",),
        "uk": ("Читайте також: Що відомо про атаку на Київ",),
        "no": ("Les også: Tone Damli ofret musikkarrieren for barna: – Prioritert det som har vært viktigst",),
    },
    ("Related talks between the two ministers ended on Friday.", "Читайте также внимательно условия договора."),
)
READER_PROMPT = Family(
    "reader prompt",
    ("en",),
    (
        r"^like this (story|article)\?",
        r"^(sign up|subscribe) (to|for) .{0,60}newsletter",
        r"^.{0,60}\bnewsletter$",
        r"^tell us what you think",
    ),
    {"en": ("Like this story? Share it with a friend.", "Subscribe to our Early Bird Brief newsletter")},
    ("Readers who signed up for the service were told their data had leaked.",),
)
HEADLINE_TAG = Family(
    "headline teaser tag",
    ("en",),
    (r"\[(insight|reaction|warning|video|pictures|poll|latest|live|update|more)\]\|?$",),  # "[VIDEO]"
    {"en": ("Putin's army in disarray as troops flee front [VIDEO]",)},
    ("The [video] link was broken, the ministry said, and the file was later removed.",),
)
MORE_ON_THE_TOPIC = Family(
    "more on the topic",
    ("de",),
    (
        r"^(auch interessant|das könnte sie (auch )?interessieren|mehr zum thema)\W*$",
        r"^(lesen sie (auch|mehr)|mehr zum thema\b.{0,60}):",
    ),
    {
        "de": (
            "Auch interessant",
            "Lesen Sie auch: Annalena Baerbock: Kinder, Ausbildung, Politik – alle wichtigen Infos",
        )
    },
    ("Der Artikel erschien zuerst in der Zeitung; auch interessant sei der Zeitpunkt, sagte er.",),
)
FOLLOW_PROMPT = Family(
    "newsletter, app and social-media prompt",
    ("en", "de"),
    (
        r"\bsign(ing)? up (to|for) (our|the) (free )?(daily |weekly )?newsletters?\b",
        r"^newsletter\s*:",
        r"^.{0,40}\bnewsletter informiert sie\b",
        r"^follow .{1,40} on (twitter|x|facebook|instagram|google news|whatsapp|telegram|tiktok|youtube|linkedin)\b",
        r"^(folgst|folgen) (du|sie) (schon |uns )?.{0,40}auf (whatsapp|instagram|tiktok|telegram|facebook|x)\b",
        r"\bhier geht es zur .{0,40}\bapp\b",
        r"\bauch (bei|auf) social media\b",
        r"^sign up for (breaking news|our emails)\b",
    ),
    {
        "en": (
            "Follow Metro.co.uk on Twitter and Facebook for the latest news updates.",
            "For the latest breaking news and stories from across the globe from the Daily Star, sign up for our "
            "newsletters .",
        ),
        "de": (
            "Folgst du schon 20 Minuten auf Whatsapp?",
            "- Aktuelle Nachrichten aufs Handy? Hier geht es zur neuen WAZ-News-App – für Android und iOS.",
            '"Hier ist Bayern": Der BR24 Newsletter informiert Sie immer montags bis freitags zum Feierabend.',
        ),
    },
    ("Ukraine's defence ministry said it would follow the situation on the border closely.",),
)
TIP_LINE = Family(
    "tip line, error report, rating",
    ("en", "de"),
    (
        r"^(got a story\?|get in touch with our news team\b|do you have a story to tell\?)",
        r"\bget in touch at \S+@\S+",
        r"^fehler gefunden\s*\?\s*jetzt melden",
        r"^wie hat ihnen dieser artikel gefallen\?$",
        r"^durchschnittliche bewertung:",
    ),
    {
        "en": (
            "Got a story? Get in touch with our news team by emailing us at webnews@metro.co.uk.",
            "Are protests breaking out in your area? Get in touch at webnews@reachplc.com",
        ),
        "de": ("Fehler gefunden? Jetzt melden.", "Wie hat Ihnen dieser Artikel gefallen?"),
    },
    ("Investigators got in touch with the families at the weekend.",),
)
SIGN_IN_PROMPT = Family(
    "sign-in and trial prompt",
    ("en", "de"),
    (
        r"^log in or create an account to continue$",
        r"^you must confirm your public display name before commenting$",
        r"^\d+ (wochen|tage|monate) (kostenlos|gratis) testen$",
    ),
    {"en": ("Log in or create an account to continue",), "de": ("4 Wochen kostenlos testen",)},
    ("Users must log in or create an account to continue using the state portal, the ministry said.",),
)
PAYWALL_NOTICE = Family(
    "paywall notice",
    ("fr", "en", "ja"),
    (
        r"^il vous reste [\d.,]+\s?% de cet article à lire",
        r"\bla suite est réservée aux abonnés\b",
        r"^(the rest of )?this (article|story) is (only )?(for|available to|reserved for) (subscribers|members)\b",
        r"この記事は(有料)?会員限定です",
        r"有料会員になると",
        r"無料で会員登録",
    ),
    {
        "fr": ("Il vous reste 57.09% de cet article à lire. La suite est réservée aux abonnés.",),
        "en": ("This article is only available to subscribers.",),
        "ja": ("この記事は会員限定です。", "有料会員になると会員限定の有料記事もお読みいただけます。"),
    },
    ("The ministry said this article of the treaty is reserved for later talks.",),
)
DONATION_PLEA = Family(
    "plea for donations or support",
    ("de", "en"),
    (
        r"\bunterstützen sie uns\b.{0,60}\b(spende|mitglied)",
        r"\bjournalismus braucht (deine|ihre|eure) unterstützung\b",
        r"^\W*[\w-]+ unterstützen$",
        r"^(please )?(support|donate to) (us|our (independent )?journalism|independent journalism)\b",
    ),
    {
        "de": (
            "Hat Ihnen dieser Artikel gefallen? Dann unterstützen Sie uns bitte mit einer Spende, oder werden Sie "
            "Mitglied.",
            "Unabhängiger Journalismus braucht deine Unterstützung.",
            "❤ WinFuture unterstützen",
        ),
        "en": ("Support our independent journalism today.",),
    },
    ("Die Bundesregierung will die Ukraine weiter unterstützen, sagte der Kanzler am Montag.",),
)
LABELLED_TIME_STAMP = Family(
    "time stamp under its label",
    ("de", "en", "fr"),
    (
        r"^(stand|aktualisiert|veröffentlicht|updated|published|posted|publié|mis à jour)\s*:?\s*(am\s+|on\s+|le\s+)?"
        r"\d{1,2}[./]\d{1,2}[./]\d{2,4}[^a-z]{0,12}(uhr)?$",
    ),
    {"de": ("Stand: 22.04.2024, 06:00 Uhr",), "en": ("Updated: 05/02/2024 09:15",)},
    ("Stand der Dinge: Die Verhandlungen laufen seit dem 22.04.2024 ohne Ergebnis.",),
)
READING_TIME = Family(
    "reading time",
    ("de", "en", "fr", "es", "it", "nl"),
    (
        r"^(lesedauer|reading time|temps de lecture|tiempo de lectura|tempo di lettura|leestijd)\s*:?\s*(ca\.\s*)?\d+\s*\w*\.?$",
        r"^\d+\s*(min|mins|minutes?|minuten)\.?\s*(read|lesezeit|lecture)$",
    ),
    {"de": ("Lesedauer: 4 Minuten",), "en": ("5 min read", "Reading time: 7 minutes")},
    ("Reading time for pupils was cut to 20 minutes a day, the ministry said.",),
)
LONE_TIME_STAMP = Family(
    "lone time stamp",
    ("*", "de"),
    (r"^\d{1,2}[./]\d{1,2}[./]\d{2,4},?\s+(um\s+)?\d{1,2}[:.]\d{2}(\s*uhr)?$",),
    {"*": ("05.08.2024, 20:59 Uhr", "24.11.2021 00:22")},
    ("On 05.08.2024 at 20:59 the sirens sounded in Kyiv.",),
)
SKIP_LINK = Family(
    "skip link",
    ("de", "en"),
    (r"^(hauptinhalt|main content|skip to (main )?content|zum inhalt springen)$",),
    {"de": ("Hauptinhalt", "Zum Inhalt springen"), "en": ("Skip to main content",)},
    ("The main content of the bill concerns conscription.",),
)
COPYRIGHT_LINE = Family(
    "copyright line",
    ("*",),
    (r"^<?\s*(©|ⓒ|\(c\)\s|copyright\b).{0,140}$",),  # also an agency's: "© dpa-infocom, dpa:…"
    {
        "*": (
            "© dpa-infocom, dpa:240516-99-53606/3 (dpa)",
            "<Copyright ⓒ 한국일보. All rights reserved. 무단 전재 및 재배포 금지>",
            "Copyright ©2019 Dow Jones & Company, Inc. All Rights Reserved.",
            "© The Moscow Times, all rights reserved.",
            "© The Kyiv Independent 2025",
        ),
        "ru": ("© АО «Коммерсантъ». 123112, Москва, Пресненская наб. д. 10, этаж 35",),
        "uk": ("© 2025 Радіо Свобода",),
    },
    ("The court ruled that the copyright claims against the archive could go ahead.",),
)
PHOTO_CREDIT = Family(
    "lone photo credit",
    ("en", "de", "ru", "uk"),
    (r"^(image|photo|picture|foto|bild|фото|фото і відео|credit)\s*:\s*[^.!?]{1,60}$",),
    {
        "en": ("Photo: AFP", "Image: Getty Images"),
        "de": ("Foto: dpa",),
        "ru": ("Фото: Дмитрий Азаров, Коммерсантъ",),
        "uk": ("Фото: Getty Images", "Фото і відео: Радіо Свобода"),
    },
    ("Photo agencies said their staff had been detained in Minsk on Friday.", "Фото: солдаты вернулись домой."),
)
CONSENT_PROMPT = Family(
    "consent prompt standing in for an embed",
    ("de",),
    (r"^ein klick für den datenschutz$",),
    {"de": ("Ein Klick für den Datenschutz",)},
    ("Ein Klick für den Datenschutz reicht nicht, sagte die Beauftragte.",),
)

#: In the order they are tried (an order that changes nothing: a line is furniture if any matches).
FURNITURE = (
    TABLE_RULE,
    SECTION_LABEL,
    TEASER_LABEL,
    READER_PROMPT,
    HEADLINE_TAG,
    MORE_ON_THE_TOPIC,
    FOLLOW_PROMPT,
    TIP_LINE,
    SIGN_IN_PROMPT,
    PAYWALL_NOTICE,
    DONATION_PLEA,
    LABELLED_TIME_STAMP,
    READING_TIME,
    LONE_TIME_STAMP,
    SKIP_LINK,
    COPYRIGHT_LINE,
    PHOTO_CREDIT,
    CONSENT_PROMPT,
)


# Credits: the words around and inside a byline.

BYLINE_LABELS = Family(
    "byline label",
    ("en", "de", "fr", "es", "it", "nl", "sv", "no", "da", "ru", "uk", "pt"),
    (
        "by",
        "von",
        "par",
        "por",
        "di",
        "door",
        "av",
        "af",
        "автор[ыи]?",
        "авторы",
        "text",
        "texte",
        "texto",
        "autor(?:in)?",
        "author",
        "written by",
        "(?:analysis|opinion|commentary|review|interview|reporting|photos?|video|words) by",
        "a cura di",
    ),
    {
        "en": ("By Jane Doe and John Roe", "Analysis by Anna Petrova", "Written by: Olena Kovalenko"),
        "de": ("Von Nina Magoley", "Autorin: Monika Bolliger"),
        "ru": ("Автор: Иван Петров", "Авторы: Анна Петрова, Олег Сорокин"),
        "uk": ("Автор: Олена Коваленко", "Автори: Олена Коваленко, Іван Петренко"),
    },
    ("Bystanders filmed the strike from a balcony.", "Авторитетные источники сообщили о переговорах."),
    before=r"^\s*(",
    after=r")\s*[:\-–]?\s+",
)
#: A byline label inside a credit, capitalised as a label and not as a name particle.
INNER_BYLINE_LABELS = Family(
    "byline label inside a credit",
    ("de", "en", "fr", "es", "nl"),
    ("Von", "By", "Par", "Por", "Door"),
    {"de": ("Capital Von Jemima Kelly",), "en": ("The Big Read By Max Seddon",)},
    ("Ursula von der Leyen", "Reporting from Kyiv by phone"),
    flags=0,
    before=r"\s(?:",
    after=r")\s+(?=[^\W\d_])",
)
NEWS_AGENCIES = Family(
    "news agency",
    ("*",),
    (
        "afp",
        "agence france-presse",
        "agence france presse",
        "ap",
        "associated press",
        "the associated press",
        "reuters",
        "thomson reuters",
        "dpa",
        "deutsche presse-agentur",
        "apa",
        "sda",
        "keystone-sda",
        "ansa",
        "efe",
        "tass",
        "ria novosti",
        "interfax",
        "ukrinform",
        "unian",
        "xinhua",
        "kyodo",
        "yonhap",
        "upi",
        "bloomberg",
        "anadolu",
        "anadolu ajansı",
        "anadolu agency",
        "pap",
        "ctk",
        "čtk",
        "belga",
        "anp",
        "epa",
        "kna",
        "epd",
        "kap",
    ),
    {"*": ("Reuters", "The Associated Press", "AFP", "Interfax", "Ukrinform", "RIA Novosti")},
    ("Reuters staff", "Apollo Kyiv", "Interfax-Ukraine"),
    literal=True,
    before="^(?:",
    after=")$",
)
ORGANIZATION_WORDS = Family(
    "organization word",
    ("en", "de", "fr", "es", "it"),
    (
        "staff",
        "redaktion",
        "redaction",
        "rédaction",
        "redacción",
        "redazione",
        "newsroom",
        "desk",
        "team",
        "editorial",
        "editors",
        "agency",
        "agencies",
        "service",
        "news",
        "nachrichten",
        "online",
        "media",
        "press",
        "presse",
        "zeitung",
        "times",
        "post",
        "tribune",
        "journal",
        "herald",
        "radio",
        "tv",
        "television",
        "magazine",
        "magazin",
        "group",
        "gruppe",
        r"\.com",
        r"\.de",
        r"\.org",
        r"\.net",
    ),
    {"en": ("Reuters staff", "Kyiv Independent news desk"), "de": ("Redaktion hessenschau.de",)},
    ("Stafford Jones", "Mediana Petrova"),
    before=r"\b(",
    after=r")\b",
)
#: Words before a job title ("Senior", "Chief", "Political"); an acronym or a two-letter word
#: ("CNN", "US") may stand there too.
_JOB_QUALIFIERS = (
    "senior",
    "chief",
    "deputy",
    "political",
    "news",
    "sports?",
    "business",
    "foreign",
    "contributing",
    "associate",
    "managing",
    "executive",
    "digital",
    "trainee",
    "freelance",
    "special",
    "royal",
    "crime",
    "health",
    "science",
    "technology",
    "tech",
    "entertainment",
    "showbiz",
    "world",
)
#: A job title on its own: it names nobody, it describes the person credited beside it.
JOB_TITLES = Family(
    "job title on its own",
    ("en",),
    (
        "reporter",
        "correspondent",
        "editor(?:-at-large)?",
        "writer",
        "columnist",
        "contributor",
        "producer",
        "journalist",
        "analyst",
        "critic",
        "photographer",
        "presenter",
    ),
    {"en": ("News Reporter", "CNN Editor-at-large", "Senior Correspondent", "Contributing writers")},
    ("Reporter Jane Doe", "Anna Petrova"),
    flags=0,
    before=r"^(?:(?:[A-Z]{2,5}|[A-Z][a-z]|(?i:" + join(_JOB_QUALIFIERS) + r"))[\s-]+)*(?i:",
    after=r")s?$",
)
#: Job titles after the name in Korean, Japanese and Chinese bylines.
JOB_TITLE_SUFFIXES = Family(
    "job title after a name",
    ("ko", "ja", "zh"),
    (
        "선임기자",
        "수습기자",
        "기자",
        "특파원",
        "논설위원",
        "객원기자",
        "記者",
        "记者",
        "特派員",
        "特派员",
        "編集委員",
        "通讯员",
        "特约记者",
    ),
    {"ko": ("홍길동 기자",), "ja": ("山田太郎記者",), "zh": ("新华社记者",)},
    ("기자회견이 열렸다",),
    flags=0,
    before=r"\s*(?:",
    after=r")$",
)
#: Lower-case words that belong in names ("Ursula von der Leyen", "Luiz Inácio Lula da Silva").
NAME_PARTICLES = Family(
    "name particle",
    ("de", "nl", "fr", "es", "pt", "it", "ar", "sv", "no", "da"),
    (
        "von",
        "van",
        "de",
        "der",
        "den",
        "des",
        "da",
        "di",
        "do",
        "dos",
        "das",
        "du",
        "del",
        "della",
        "la",
        "le",
        "bin",
        "ibn",
        "al",
        "el",
        "y",
        "zu",
        "ten",
        "ter",
        "af",
        "av",
    ),
    {"de": ("Ursula von der Leyen",), "pt": ("Luiz Inácio Lula da Silva",), "ar": ("Mohammed bin Salman",)},
    ("Von Nina Magoley", "Vladimir Putin"),
    flags=0,
    literal=True,
    before=r"(?<!\w)(?:",
    after=r")(?!\w)",
)
#: Words that join two names in a byline ("A and B"), one list. Each use takes the words it has
#: always trusted (``uses``): the credit splitter all of them; the test for a line of names and
#: the cheap test over a whole page's markup that a byline goes on past the credited name fewer.
#: Giving every use the whole list changes output: a separate, measured change.
JOIN_WORDS = Family(
    "join word",
    ("en", "de", "no", "da", "sv", "fr", "es", "it", "pt", "pl", "hr", "nl", "tr", "ru", "uk", "cs"),
    ("and", "und", "og", "och", "et", "y", "e", "i", "en", "ve", "и", "та", "і", "a"),
    {
        "en": ("Anna Petrova and Oleg Sorokin",),
        "de": ("Felix Schröder und Jörg Soldwisch",),
        "ru": ("Анна Петрова и Олег Сорокин",),
        "uk": ("Олена Коваленко та Іван Петренко", "Олена Коваленко і Іван Петренко"),
    },
    ("Andrea Andersen", "Ivanka Trump"),
    literal=True,
    before=r"\s(?:",
    after=r")\s",
    uses={
        "line of names": ("and", "und", "et", "y", "e", "og", "och", "en"),
        "byline goes on": ("and", "und", "og", "et", "y", "e"),
    },
)

# Dates: the labels that say which date a page prints.

PUBLISHED_LABELS = Family(
    "publication date label",
    ("en", "ru", "uk"),
    ("publi", "posted", "опубл", "опублік"),
    {"en": ("Published", "Posted on"), "ru": ("Опубликовано",), "uk": ("Опубліковано",)},
    ("Updated", "Обновлено", "Оновлено"),
)
MODIFIED_LABELS = Family(
    "modification date label",
    ("en", "ru", "uk"),
    ("updat", "modif", "edit", "обновл", "оновл"),
    {"en": ("Updated", "Last modified", "Edited"), "ru": ("Обновлено",), "uk": ("Оновлено",)},
    ("Published", "Опубликовано", "Опубліковано"),
)

#: Every family, for the test.
FAMILIES = (
    *FURNITURE,
    BYLINE_LABELS,
    INNER_BYLINE_LABELS,
    NEWS_AGENCIES,
    ORGANIZATION_WORDS,
    JOB_TITLES,
    JOB_TITLE_SUFFIXES,
    NAME_PARTICLES,
    JOIN_WORDS,
    PUBLISHED_LABELS,
    MODIFIED_LABELS,
)
