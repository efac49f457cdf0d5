"""Every rule for a stored value, in one place: what we write we accept, what we refuse we never write.

The commands, the importer, the command line and the teammate-file validator all call these
functions, so a database one analyst writes is always one a colleague's merge accepts. Each
``check_*`` returns the value to store (unchanged: the rules refuse, they never rewrite) or raises
``InvalidValueError`` with a sentence naming the field and what is wrong.

Lengths are counted in Python code points, never by SQLite (its ``length()`` stops at a NUL).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from .errors import InvalidValueError

# Limits, in characters (code points).
TITLE_MAX = 500
OUTLET_MAX = 200
URL_MAX = 2000
SOURCE_PATH_MAX = 4000
TAG_NAME_MAX = 100
TAG_DESCRIPTION_MAX = 1000
ANNOTATOR_NAME_MAX = 200
NOTE_MAX = 100_000
ARTICLE_TEXT_MAX = 200 * 1024 * 1024  # the import limit in bytes; a text never has more characters

_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_URL_SCHEMES = ("http://", "https://")
_ZWJ, _ZWNJ = "\u200d", "\u200c"
_LATIN = re.compile("[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Control characters that count towards "looks binary" (tab, newline, CR and form feed do not).
_BINARY_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")
_NOTE_CONTROLS = frozenset("\t\n\r")
_DESCRIPTION_CONTROLS = frozenset("\t\n")
# Characters that show nothing: an article made only of these (and white space) has no text.
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Zs", "Zl", "Zp", "Mn", "Me", "Cn", "Co", "Cs"})
# Letters and symbols that draw nothing (Hangul fillers, the blank Braille pattern, Khmer inherent vowels, the
# Mongolian vowel separator): "alice\u3164" reads as "alice".
_BLANK_GLYPHS = frozenset("\u115f\u1160\u17b4\u17b5\u180e\u2800\u3164\uffa0")
# Marks that change nothing visible after a letter: the combining grapheme joiner, Mongolian free variation
# selectors and the variation selectors (which only pick an emoji or text style after a symbol).
_IGNORABLE_MARKS = re.compile("[\u034f\u180b-\u180d\u180f\ufe00-\ufe0f\U000e0100-\U000e01ef]")
NON_SPACE = re.compile(r"\S")  # a character str.strip() keeps; the first test of "shows something"
# Noncharacters Qt reads as a byte-swapped byte order mark: text after one would be shown garbled.
_NONCHARACTERS = re.compile("[\ufffe\uffff]")
# Cyrillic and Greek letters drawn like Latin ones (after case folding), for telling look-alike names apart.
_CONFUSABLE = str.maketrans("авекмнорстухѕіјԁԛԝαβεζηικμνορτυχ", "abekmhopctyxsijdqwabezhikmvoptux")


# --- building blocks -------------------------------------------------------


def _ensure_text(field: str, value: object) -> str:
    if type(value) is not str:
        raise InvalidValueError(f"the {field} must be text, not {type(value).__name__}")
    return value


def _check_length(field: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise InvalidValueError(f"the {field} is {len(value):,} characters long (the limit is {limit:,})")


def _is_control(ch: str) -> bool:
    code = ord(ch)
    return code < 0x20 or 0x7F <= code < 0xA0


def _first_control(value: str, allowed: frozenset[str]) -> str | None:
    for ch in value:
        if _is_control(ch) and ch not in allowed:
            return ch
    return None


def _has_surrogate(value: str) -> bool:
    return not value.isascii() and _SURROGATE.search(value) is not None


def describe_char(ch: str) -> str:
    """A character named safely for a message: ``U+202E (RIGHT-TO-LEFT OVERRIDE)``."""
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" ({name})" if name else "")


def _refuse_free_text(field: str, value: str, limit: int, allowed_controls: frozenset[str]) -> str:
    _check_length(field, value, limit)
    bad = _first_control(value, allowed_controls)
    if bad is not None:
        raise InvalidValueError(f"the {field} holds the control character {describe_char(bad)}")
    if _has_surrogate(value):
        raise InvalidValueError(f"the {field} holds a character that is not valid Unicode")
    return value


def _zwj_joins_emoji(value: str, index: int) -> bool:
    """A zero-width joiner is part of an emoji sequence (👩‍💻) when symbols or their marks stand on both sides."""
    if index == 0 or index + 1 >= len(value):
        return False
    before, after = unicodedata.category(value[index - 1]), unicodedata.category(value[index + 1])
    return before in ("So", "Sk", "Mn") and after == "So"


def _zwnj_joins_letters(value: str, index: int) -> bool:
    """A zero-width non-joiner belongs between letters of scripts that need it (Persian, Indic), never in Latin."""
    if index == 0 or index + 1 >= len(value):
        return False
    before, after = value[index - 1], value[index + 1]
    return all(ch.isalpha() and not _LATIN.fullmatch(ch) for ch in (before, after))


def _refuse_name(field: str, value: object, limit: int) -> str:
    """A name people read and tell apart: one line, no invisible or direction-changing characters."""
    value = _ensure_text(field, value)
    if not value.strip():
        raise InvalidValueError(f"the {field} is blank")
    if value != value.strip():
        raise InvalidValueError(f"the {field} {safe_repr(value)} starts or ends with white space")
    _check_length(field, value, limit)
    for index, ch in enumerate(value):
        category = unicodedata.category(ch)
        if (ch == _ZWJ and _zwj_joins_emoji(value, index)) or (ch == _ZWNJ and _zwnj_joins_letters(value, index)):
            continue
        if _IGNORABLE_MARKS.fullmatch(ch) and index > 0 and unicodedata.category(value[index - 1]) == "So":
            continue  # ❤️: a variation selector choosing how a symbol is drawn
        if category in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") or ch in _BLANK_GLYPHS or _IGNORABLE_MARKS.fullmatch(ch):
            raise InvalidValueError(
                f"the {field} {safe_repr(value)} holds {describe_char(ch)}, an invisible or control character; "
                "names may hold only visible characters and spaces"
            )
        if category == "Zs" and ch != " ":
            raise InvalidValueError(f"the {field} {safe_repr(value)} holds the unusual space {describe_char(ch)}")
    return value


# --- names -----------------------------------------------------------------


def check_annotator_name(value: object) -> str:
    return _refuse_name("annotator name", value, ANNOTATOR_NAME_MAX)


def check_tag_name(value: object) -> str:
    return _refuse_name("tag name", value, TAG_NAME_MAX)


def tag_name_key(name: str) -> str:
    """Tag (and claim) names are unique ignoring case: ``Denial`` and ``denial`` (also written with a combining
    accent or a precomposed one) are one name, so two can never differ only so. Stored names stay as typed."""
    return unicodedata.normalize("NFC", name).casefold()


def same_tag_name(first: str, second: str) -> bool:
    """True if two tag names are the same name (``tag_name_key``)."""
    return tag_name_key(first) == tag_name_key(second)


def name_key(name: str) -> str:
    """What a person sees in a name: two names with the same key look alike (``Alice``, ``alice``, ``ａｌｉｃｅ``,
    ``аlice`` with a Cyrillic а). Only for warning about look-alikes: names are stored and compared exactly."""
    folded = unicodedata.normalize("NFKC", _IGNORABLE_MARKS.sub("", name)).casefold()
    return folded.replace(_ZWJ, "").replace(_ZWNJ, "").translate(_CONFUSABLE)


def printable(value: str) -> str:
    """``value`` safe to print on one line of a terminal: every non-printable character escaped."""
    return "".join(ch if ch.isprintable() else
                   (f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}") for ch in value)


def safe_repr(value: str, limit: int = 60) -> str:
    """``value`` quoted for a message: non-printable characters escaped, a long one cut."""
    shown = printable(value[:limit]) + ("…" if len(value) > limit else "")
    return "'" + shown + "'"


# --- tags ------------------------------------------------------------------

# Tag colours: Okabe–Ito first (distinguishable with the common colour-vision deficiencies), then a few more.
# The default tags take the first four; a new tag takes the first one no tag has.
TAG_PALETTE = ("#D55E00", "#0072B2", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
               "#882255", "#44AA99", "#999933", "#AA4499")


def check_color(value: object) -> str:
    value = _ensure_text("tag colour", value)
    if not _COLOR.fullmatch(value):
        raise InvalidValueError(f"the tag colour {safe_repr(value)} is not #rrggbb")
    return value


def check_shortcut(value: object) -> str:
    """A tag's shortcut: empty, or one key that types one visible character (``1``, ``q``, ``?``)."""
    value = _ensure_text("tag shortcut", value)
    if value == "":
        return value
    if len(value) != 1 or not value.isprintable() or value.isspace():
        raise InvalidValueError(
            f"the tag shortcut {safe_repr(value)} is not a single key; a shortcut is one key, such as 5 or q"
        )
    return value


def is_single_key(value: object) -> bool:
    """True if ``value`` is a non-empty shortcut the rules accept."""
    try:
        return check_shortcut(value) != ""
    except InvalidValueError:
        return False


def shortcut_key(shortcut: str) -> str:
    """Shortcuts are compared without case: ``Q`` and ``q`` are the same key."""
    return shortcut.casefold()


def check_description(value: object) -> str:
    value = _ensure_text("tag description", value)
    return _refuse_free_text("tag description", value, TAG_DESCRIPTION_MAX, _DESCRIPTION_CONTROLS)


# --- annotations -----------------------------------------------------------


def check_note(value: object) -> str:
    value = _ensure_text("note", value)
    return _refuse_free_text("note", value, NOTE_MAX, _NOTE_CONTROLS)


# --- claims and links ------------------------------------------------------

CLAIM_NAME_MAX = 500
# A link's type says how its source annotation relates to its target (a denial responds to an allegation).
LINK_TYPES = ("responds-to", "supports", "contradicts", "repeats")
LINK_TYPE_LABELS = {"responds-to": "responds to", "supports": "supports", "contradicts": "contradicts",
                    "repeats": "repeats"}


def check_claim_name(value: object) -> str:
    """A claim is named by the statement it is about: one line of visible text, as a tag name is."""
    return _refuse_name("claim name", value, CLAIM_NAME_MAX)


def check_claim_note(value: object) -> str:
    value = _ensure_text("claim note", value)
    return _refuse_free_text("claim note", value, NOTE_MAX, _NOTE_CONTROLS)


def check_link_type(value: object) -> str:
    if not isinstance(value, str) or value not in LINK_TYPES:
        shown = safe_repr(value) if isinstance(value, str) else printable(repr(value))
        raise InvalidValueError(f"there is no link type {shown}; the types are: {', '.join(LINK_TYPES)}")
    return value


# --- articles --------------------------------------------------------------


def check_title(value: object) -> str:
    value = _ensure_text("title", value)
    if not value.strip():
        raise InvalidValueError("the title is blank")
    return _refuse_free_text("title", value, TITLE_MAX, frozenset())


def check_outlet(value: object) -> str:
    value = _ensure_text("outlet", value)
    return _refuse_free_text("outlet", value, OUTLET_MAX, frozenset())


def check_url(value: object) -> str | None:
    if value is None or value == "":
        return None
    value = _ensure_text("url", value)
    _check_length("url", value, URL_MAX)
    if not value.lower().startswith(_URL_SCHEMES):
        raise InvalidValueError(f"the url {safe_repr(value)} does not start with http:// or https://")
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        raise InvalidValueError(f"the url {safe_repr(value)} holds white space or control characters")
    return value


def check_published(value: object) -> str | None:
    """A publication date as ``YYYY-MM-DD`` (a real day), or None."""
    if value is None or value == "":
        return None
    value = _ensure_text("publication date", value)
    if _DATE.fullmatch(value):
        try:
            date.fromisoformat(value)
            return value
        except ValueError:
            pass
    raise InvalidValueError(f"the publication date {safe_repr(value)} is not a date written as YYYY-MM-DD")


def check_source_path(value: object) -> str | None:
    if value is None:
        return None
    value = _ensure_text("source path", value)
    return _refuse_free_text("source path", value, SOURCE_PATH_MAX, frozenset())


def check_article_text(value: object) -> str:
    """The text every offset indexes, held to the import rules: no CR (newlines are ``\\n``), no NUL, nothing
    that looks binary, something visible."""
    value = _ensure_text("article text", value)
    _check_length("article text", value, ARTICLE_TEXT_MAX)
    if "\r" in value:
        raise InvalidValueError("the article text holds carriage returns (CR); its line ends must be \\n alone")
    if "\x00" in value:
        # SQLite's length() stops at a NUL, so offsets past it could not be checked.
        raise InvalidValueError("the article text looks binary (it holds NUL characters)")
    if looks_binary(value):
        raise InvalidValueError("the article text looks binary (it holds many control characters)")
    if _has_surrogate(value):
        raise InvalidValueError("the article text holds a character that is not valid Unicode")
    bad = None if value.isascii() else _NONCHARACTERS.search(value)
    if bad is not None:
        raise InvalidValueError(f"the article text holds {describe_char(bad.group())}, which is not a character "
                                "(a byte-order mark read the wrong way round): re-save the file as UTF-8")
    if not has_visible_text(value):
        raise InvalidValueError("the article has no text, only white space or invisible characters")
    return value


def looks_binary(text: str) -> bool:
    """More than the odd control character (tab, newline and form feed aside): not an article."""
    allowed = max(8, len(text) // 100)
    for count, _match in enumerate(_BINARY_CONTROLS.finditer(text), start=1):
        if count > allowed:
            return True
    return False


def has_visible_text(text: str) -> bool:
    """True if any character shows something (zero-width spaces, joiners and marks alone do not)."""
    return any(not ch.isspace() and ch not in _BLANK_GLYPHS and unicodedata.category(ch) not in _INVISIBLE_CATEGORIES
               for ch in text)


def has_visible_span(text: str, start: int, end: int) -> bool:
    """True if ``text[start:end]`` shows something; fast when its first non-space character is ASCII."""
    first = NON_SPACE.search(text, start, end)
    if first is None:
        return False
    return first.group().isascii() or has_visible_text(text[first.start():end])


def article_text_problem(text: str) -> str | None:
    """The reason ``text`` cannot be an article, or None (for callers that report rather than raise)."""
    try:
        check_article_text(text)
    except InvalidValueError as exc:
        return str(exc)
    return None
