"""Line patterns of scraped-page boilerplate, grouped by what they are.

These are generic web-page furniture (share bars, ad slots, teasers, credits,
bylines), written from how news sites lay out pages, not from any one article.
Phrase lists only catch the common cases; :mod:`services.cleaner.plaintext`
adds structural rules and the per-outlet learner for the rest.
"""

from __future__ import annotations

import re

_SOCIAL = (
    r"(?:share|shares|tweet|pin|email|e-mail|print|whatsapp|facebook|twitter|x|linkedin|telegram|reddit"
    r"|copy link|comments?)"
)

# Whole-line furniture: ad slots, share bars, trailers, teaser headers.
FURNITURE = re.compile(
    rf"""^(?:
        advertisements?|sponsored(?:\s+content)?|ads?|promoted|paid\s+content|story\s+continues\s+below.*
      | (?:read|see|watch|listen)\s+(?:also|more|next)\b.*|also\s+(?:read|see|watch)\b.*|more\s+on\s+this\b.*
      | related(?:\s+(?:articles?|stories|news|posts?|coverage|content|topics|links?))?(?:\s*:.{{0,120}})?
      | recommended(?:\s+(?:for\s+you|stories|articles))?|you\s+(?:may|might)\s+also\s+(?:like|be\s+interested\s+in).*
      | trending(?:\s+(?:now|stories|news))?|most\s+(?:read|popular|viewed)|top\s+stories|latest\s+news
      | leave\s+a\s+(?:comment|reply)|post\s+a\s+comment|\d+\s+comments?|no\s+comments?(?:\s+yet)?|comments?
      | source\s*site(?:[-\s]*\d+)?|source\s*link
      | follow(?:\s+us)?\s*(?:on\b|:).{{0,80}}|follow
      | (?:[•·*|]\s*)?{_SOCIAL}(?:\s*(?:this|the)?\s*(?:article|story|post|page))?(?:\s+on\s+\w+)?
      | (?:{_SOCIAL}\s*[|•·/]?\s*){{2,}}
      | sign\s+up\b.{{0,80}}|subscribe\b.{{0,80}}|click\s+here\b.{{0,80}}|download\s+the\s+app\b.*
      | (?:all\s+rights\s+reserved|copyright|©).{{0,120}}|skip\s+to\s+(?:main\s+)?content|back\s+to\s+top
      | (?:image|photo|video)\s+gallery|loading\.*|view\s+comments?|show\s+comments?
      | thanks?\s+(?:you\s+)?for\s+(?:signing\s+up|subscribing|reading|your\s+feedback).{{0,80}}
      | (?:sorry[,!.]?\s*)?(?:an|there\s+was\s+an)\s+error\s+(?:has\s+occurred|occurred|processing).{{0,80}}
      | (?:please\s+)?try\s+again(?:\s+later)?|sorry|thank\s+you
      | tags?|topics?|keywords?|categories|filed\s+under.{{0,80}}
      | keep\s+an\s+eye\s+on\s+your\s+inbox.{{0,60}}|(?:order|purchase)\s+(?:reprints?|licensing).{{0,40}}
      | print\s+(?:this\s+)?(?:article|story|page)|this\s+(?:article|story)\s+(?:has\s+been|was)\s+sent\s+to.{{0,60}}
      | this\s+copy\s+is\s+for\s+your\s+personal,?\s+non-commercial\s+use\s+only.*
      | write\s+to\s+.{{1,60}}\s+at\s+\S+@\S+
      | (?:contact|email)\s+(?:the\s+)?(?:author|reporter|us)\s*(?::|at\b).{{0,80}}
      | (?:you\s+must\s+)?log\s*in\s+to\s+(?:post\s+a\s+)?comment.{{0,40}}|join\s+the\s+conversation.{{0,40}}
    )[.:!]?$""",
    re.IGNORECASE | re.VERBOSE,
)

# Known tracker and ad-server hosts that leak into scraped text as bare lines.
TRACKER = re.compile(
    r"scorecardresearch|doubleclick|googletag|google-analytics|googlesyndication|outbrain|taboola|"
    r"chartbeat|quantserve|adsystem|adservice|facebook\.com/tr|pixel\.",
    re.IGNORECASE,
)

# A line that is only a host, URL, handle or hashtag list (embeds, trackers, link leftovers).
LINK_ONLY = re.compile(
    r"^(?:[\W_]*(?:https?://\S+|www\.\S+|pic\.twitter\.com/\S+|[\w-]+(?:\.[\w-]+)+(?:/\S*)?|@\w+|#\w+)[\W_]*)+$"
)

# A bare host name (tracker leftovers such as "sb.scorecardresearch"): no scheme, no spaces.
# "www." hosts are left alone: pages print their own address as contact information.
BARE_HOST = re.compile(r"^(?!www\.)[a-z0-9-]+(?:\.[a-z0-9-]+)+$", re.IGNORECASE)

# A line that is only a date and/or time ("2019-11-19T08:57:40+01:00", "November 20, 2019 - 11:28").
DATE_ONLY = re.compile(
    r"^[\W_]*(?:(?:\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|[a-z]{3,9}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}"
    r"|\d{1,2}(?:st|nd|rd|th)?\s+[a-z]{3,9}\.?,?\s+\d{4})(?:[T\s,@-]+(?:at\s+)?\d{1,2}[:.]\d{2}(?::\d{2})?"
    r"(?:\s*[ap]\.?m\.?)?(?:\s*(?:[A-Z]{2,5}|[+-]\d{2}:?\d{2}|Z))?)?)[\W_]*$",
    re.IGNORECASE,
)

# Image captions' credits: "IMAGE: AP", "File image by ...", "(Photo: Reuters)", "... Image from Twitter/...".
_MEDIA = r"(?:file\s+)?(?:images?|photos?|pictures?|pics?|photographs?|illustrations?|graphics?|videos?|visuals?)"
IMAGE_CREDIT = re.compile(
    rf"""^(?:
        \(?(?:representational|representative|file|featured|top|lead|cover)?\s*{_MEDIA}\s*(?:credits?|courtesy)?\s*
            (?::|\||by\b|from\b|of\b|courtesy\b|via\b|source\b|used\b|for\s+representation\b).{{0,220}}
      | .{{0,220}}\b{_MEDIA}\s*(?:credits?\s*:?|courtesy\s*:?|from|by|via|:)\s*[^.!?]{{1,90}}
      | .{{0,200}}\((?:{_MEDIA}|credits?|source)\s*:[^)]{{1,80}}\)\s*
      | .{{0,200}}\b(?:getty\s+images|shutterstock|ap\s+photo|afp\s+photo|reuters\s+photo|pti\s+photo
                    |ians\s+photo)\b[^.!?]{{0,80}}
    )$""",
    re.IGNORECASE | re.VERBOSE,
)

# A credit ending an image caption ("... on the Southwest Side. Photo: 21 Pro Video") and a
# gallery's counter heading one ("Image 3 of 16"): what is left between them is the caption.
CAPTION_CREDIT = re.compile(rf"\s*\(?\b{_MEDIA}\s*(?:credits?\s*:?|courtesy\s*:?|by|via|:)\s*[^.!?]{{1,90}}$", re.I)
GALLERY_COUNTER = re.compile(rf"^\s*{_MEDIA}\s+\d+\s*(?:of|/)\s*\d+\s*", re.I)

# Bylines; the name group becomes an author.
BYLINE = re.compile(
    r"^(?i:(?:reported|written|posted|edited|compiled|text|story|words|report)\s+by|by|author|authors|reporter)"
    r"\s*:?\s*(?P<name>[A-Z][\w.'’-]+(?:\s+(?:[A-Z][\w.'’-]+|and|&|de|van|von|da|del|bin|al)){0,5})"
    r"(?:\s*[,|/•-]\s*.{0,80})?$"
)

# Capitalised words after "By" that start a phrase, not a name ("By Monday", "By contrast").
_NOT_NAMES = frozenset(
    {
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "the",
        "this",
        "that",
        "then",
        "now",
        "today",
        "tomorrow",
        "yesterday",
        "far",
        "contrast",
        "comparison",
        "law",
        "design",
        "default",
    }
)
_NAME_SPLIT = re.compile(r"\s*(?:,|&|\band\b)\s*")
_WORDS = re.compile(r"\w+")


def byline_names(text: str) -> list[str]:
    """Author names when the line is a byline ("By Jane Smith and John Doe, Reuters"), else []."""
    match = BYLINE.match(text)
    if match is None:
        return []
    words = len(_WORDS.findall(text))
    if words > 12 or (words > 5 and SENTENCE_END.search(text)):
        return []  # "By Monday, the council will have decided." is a sentence, not a byline
    names = [n.strip() for n in _NAME_SPLIT.split(match.group("name")) if n.strip()]
    if not names or any(n.split()[0].casefold() in _NOT_NAMES for n in names):
        return []
    return names


# Embedded-post attribution: "— The White House (@WhiteHouse) February 12, 2022".
EMBED_ATTRIBUTION = re.compile(r"^[—–-]\s*.{1,80}\(@\w{1,30}\)\s*.{0,40}\d{4}$")

# Trailing embed links inside a content line.
TRAILING_LINKS = re.compile(r"(?:\s+(?:pic\.twitter\.com/\w+|https?://t\.co/\w+))+\s*$")

# Teaser calls to action glued to the end of a standfirst or caption.
TRAILING_TEASER = re.compile(
    r"(?<=[.!?\"'])\s+(?:details\s+here|read\s+more(?:\s+here)?|more\s+details\s+here|find\s+out\s+more"
    r"|click\s+here(?:\s+for\s+more)?|full\s+story(?:\s+here)?|continue\s+reading)[.!:…]*\s*$",
    re.IGNORECASE,
)

# A separator or decoration line without any letter or digit ("___", "* * *").
NO_TEXT = re.compile(r"^[\W_]+$")

# Bullets that start list items of related headlines.
BULLET = re.compile(r"^\s*(?:[-•·*▪►»–—]|\d{1,2}[.)])\s+")

SENTENCE_END = re.compile(r"""[.!?…]["')\]]*$""")

# Error, access, consent and log-in notices: what a page shows instead of an article.
NOTICE = re.compile(
    r"\b(?:404|403|410|500|502|503)\b.{0,40}\b(?:not\s+found|forbidden|error|unavailable|gone)\b|"
    r"\bpage\s+(?:not\s+found|cannot\s+be\s+found|does\s+not\s+exist|you\s+requested)\b|"
    r"\b(?:page|article|story|content|link)\b.{0,40}\b(?:can['’]?t|cannot|could\s+not|couldn['’]t)\s+be\s+found\b|"
    r"\b(?:page|article|story|content)\s+(?:is\s+)?no\s+longer\s+available\b|"
    r"\baccess\s+denied\b|\bjust\s+a\s+moment\b|\benable\s+(?:javascript|cookies)\b|"
    r"\bare\s+you\s+a\s+robot\b|\bcaptcha\b|\bsubscribe\s+to\s+(?:continue|read)\b|"
    r"\buses?\s+cookies\b|\bcookie\s+(?:policy|settings|preferences|consent)\b|\baccept\s+(?:all\s+)?cookies\b|"
    r"\b(?:sign|log)\s*in\s+to\s+(?:your\s+account|continue)\b|\bforgot\s+(?:your\s+)?password\b|"
    r"\bcreate\s+(?:an?\s+)?account\b",
    re.IGNORECASE,
)
