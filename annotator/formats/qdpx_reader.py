"""Reading a REFI-QDA project (``.qdpx``: a zip of ``project.qde`` and ``sources/``) into a ProjectData.

What comes in: each ``TextSource`` (its ``PlainTextContent``, else the ``internal://`` file of its
``plainTextPath`` under ``sources/``) as an article; each ``Code`` (nested ones too) as a tag with its colour;
each ``Coding`` of a ``PlainTextSelection`` as an annotation, by the Coding's user and time (else the
selection's); the selection's ``Description`` and the ``Note``s its ``NoteRef``s name as the note; each ``Link``
between two selections as a link (its first ``NoteRef``'s note gives its note, user and time). Pictures, PDFs,
audio, video, cases, sets and variables are left out.

Positions. REFI-QDA counts ``startPosition``/``endPosition`` in characters of the source text, end exclusive;
how a line end counts differs by tool, as QualCoder's importer and exporter (src/qualcoder/refi.py) show:

- QualCoder (Python) writes Python string indexes (code points) into the text it holds, whose line ends are
  ``\\n``; asked for "MAXQDA line endings" it writes the file with ``\\r\\n`` but leaves the positions as they
  were, so a CRLF counts as one character. It writes the file with a BOM (utf-8-sig), not counted.
- ATLAS.ti also counts a CRLF of its source file as one character (QualCoder reads its positions so).
- MAXQDA and NVivo count a CRLF as two (QualCoder pads each line end to two characters to read their positions).

So a project whose ``origin`` names ATLAS.ti or QualCoder is read with CRLF as one character, any other with
CRLF as two. Tools built on UTF-16 strings may count an emoji as two; a project whose spans only fit the texts when
counted so (a span ending past the last code point but not past the last UTF-16 unit) is read as UTF-16. Our
texts have ``\\n`` line ends (annotator/text.py): ``_Positions`` is the one place that converts. XML parsers turn
a literal CRLF inside ``PlainTextContent`` into LF, so an inline text has no CRLF left to count.

The file is hostile: at most ``MAX_MEMBERS`` entries; each one read is capped (``MAX_MEMBER_BYTES``), the total
read too (``MAX_TOTAL_BYTES``), and so is how far a member may expand (``MAX_RATIO``), counted while it is read,
whatever its header says; a name that is absolute or climbs out with ``..`` refuses the file; nothing is
extracted to disk; project.qde is parsed with defusedxml, DTDs and entities refused.
"""

from __future__ import annotations

import bisect
import io
import re
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from xml.etree.ElementTree import Element

from ..errors import ImportFileError, InvalidValueError
from ..rules import TITLE_MAX, check_article_text
from ..text import normalise_newlines
from .project_records import ProjectAnnotation, ProjectData, ProjectLink, ProjectTag
from .records import ArticleText, Source

NS = "urn:QDA-XML:project:1.0"
_Q = "{" + NS + "}"
MAX_MEMBERS = 100_000
MAX_MEMBER_BYTES = 256 * 1024 * 1024
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
MAX_RATIO = 200  # uncompressed bytes per compressed byte, beyond the first megabyte of a member
_CHUNK = 1 << 20
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_HEX3 = re.compile("#[0-9a-fA-F]{3}")
_HEX6 = re.compile("#[0-9a-fA-F]{6}")


class _Zip:
    """The members of a hostile zip, read within the limits."""

    def __init__(self, data: bytes | bytearray):
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            raise ImportFileError("it is not a REFI-QDA project: not a zip file") from None
        if len(infos) > MAX_MEMBERS:
            raise ImportFileError(f"it holds more than {MAX_MEMBERS:,} files; a REFI-QDA project this big is refused")
        self.names: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = info.filename
            parts = name.replace("\\", "/").split("/")
            if name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name) or ".." in parts:
                raise ImportFileError(f"it holds a file named {name[:80]!r}, which points outside the project; "
                                      "it is refused")
            self.names.setdefault(name.replace("\\", "/").casefold(), info)
        self.total = 0

    def read(self, name: str) -> bytes | None:
        info = self.names.get(name.casefold())
        if info is None:
            return None
        limit = min(MAX_MEMBER_BYTES, max(_CHUNK, info.compress_size * MAX_RATIO))
        out = bytearray()
        try:
            with self.zip.open(info) as member:
                while chunk := member.read(_CHUNK):
                    out += chunk
                    self.total += len(chunk)
                    if len(out) > limit or self.total > MAX_TOTAL_BYTES:
                        raise ImportFileError(f"its file {name[:80]!r} expands too far (a zip bomb?); it is refused")
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
            raise ImportFileError(f"its file {name[:80]!r} cannot be read: the zip is damaged or encrypted") from None
        return bytes(out)


class _Positions:
    """A tool's positions in a source's shipped text, turned into code points of our (``\\n``-only) text."""

    def __init__(self, raw: str, utf16: bool):
        self.raw_length = len(raw)
        astral = [m.start() for m in _ASTRAL.finditer(raw)] if utf16 else []
        self.astral_units = [at + n for n, at in enumerate(astral)]  # where each astral character starts, in units
        self.crs = [m.start() for m in re.finditer("\r\n", raw)]

    def __call__(self, position: int) -> int:
        """Our offset for ``position`` (a negative one, or one past the end, stays out of range for the rules)."""
        if position < 0:
            return position
        before = bisect.bisect_left(self.astral_units, position)
        if before and self.astral_units[before - 1] + 1 == position:
            raise InvalidValueError(f"a selection's position {position} falls inside a character")
        cp = position - before
        if cp > self.raw_length:
            return cp - len(self.crs)  # out of range: the span check names it
        return cp - bisect.bisect_left(self.crs, cp)


def _text(element: Element | None) -> str:
    return "" if element is None else "".join(element.itertext())


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _colour(value: str | None) -> str | None:
    value = (value or "").strip()
    if _HEX3.fullmatch(value):
        return "#" + "".join(ch * 2 for ch in value[1:])
    return value if _HEX6.fullmatch(value) else None


def _decode(data: bytes, what: str) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(f"{what} is not UTF-8 text, as REFI-QDA requires") from None
    return text


def _parse(data: bytes) -> Element:
    import defusedxml.ElementTree as SafeET  # on first use: the registry is imported at start-up
    from defusedxml import DefusedXmlException

    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise ImportFileError("its project.qde declares a DTD or entities, which are refused") from None
    except SafeET.ParseError as exc:
        raise ImportFileError(f"its project.qde is not well-formed XML ({exc})") from None
    if root.tag != _Q + "Project":
        raise ImportFileError("its project.qde is not a REFI-QDA project (no Project in urn:QDA-XML:project:1.0)")
    return root


def read(source: Source) -> ProjectData:
    """The project in a ``.qdpx`` file, or ImportFileError with the reason."""
    archive = _Zip(source.read_bytes())
    data = archive.read("project.qde")
    if data is None:
        raise ImportFileError("it is not a REFI-QDA project: it has no project.qde")
    root = _parse(data)
    del data
    users = {u.get("guid", ""): (u.get("name") or "").strip() for u in root.iter(_Q + "User")}
    notes = {n.get("guid", ""): n for n in root.iter(_Q + "Note")}
    codes: dict[str, str] = {}
    tags: list[ProjectTag] = []
    for code in root.iter(_Q + "Code"):
        name = (code.get("name") or "").strip()
        if name:
            codes[code.get("guid", "")] = name
            tags.append(ProjectTag(name, _colour(code.get("color"))))

    def note_of(element: Element) -> str:
        parts = [_text(element.find(_Q + "Description"))]
        for ref in element.findall(_Q + "NoteRef"):
            note = notes.get(ref.get("targetGUID", ""))
            if note is not None:
                parts.append(_note_text(archive, note).strip())
        return "\n\n".join(p for p in parts if p.strip())

    sources = root.findall(f"{_Q}Sources/{_Q}TextSource")
    raws = [_source_text(archive, s, n) for n, s in enumerate(sources, 1)]
    origin = (root.get("origin") or "").casefold()
    if "atlas" in origin or "qualcoder" in origin:  # a CRLF counts as one character (see the module's docstring)
        raws = [normalise_newlines(raw) for raw in raws]
    utf16 = _counts_utf16(sources, raws)
    articles: list[ArticleText] = []
    annotations: list[ProjectAnnotation] = []
    by_selection: dict[str, int] = {}
    for number, (element, raw) in enumerate(zip(sources, raws, strict=True)):
        text = normalise_newlines(raw)
        try:
            check_article_text(text)
        except InvalidValueError as exc:
            raise ImportFileError(f"its source {_title(element, number + 1)!r}: {exc}") from None
        articles.append(ArticleText(text=text, title=_title(element, number + 1), source_path=source.shown))
        position = _Positions(raw, utf16)
        for selection in element.findall(_Q + "PlainTextSelection"):
            try:
                start, end = int(selection.get("startPosition", "")), int(selection.get("endPosition", ""))
                start, end = position(start), position(end)
            except (ValueError, InvalidValueError) as exc:
                raise ImportFileError(f"a selection in {_title(element, number + 1)!r} has a bad position "
                                      f"({exc})") from None
            note = note_of(selection)
            codings = selection.findall(_Q + "Coding")
            for coding in codings:
                tag = codes.get(_ref(coding, "CodeRef"))
                if tag is None:
                    continue
                by_selection.setdefault(selection.get("guid", ""), len(annotations))
                created = _time(coding.get("creationDateTime")) or _time(selection.get("creationDateTime"))
                annotations.append(ProjectAnnotation(
                    article=number, start=start, end=end, tag=tag,
                    note="\n\n".join(p for p in (note, note_of(coding)) if p),
                    annotator=users.get(coding.get("creatingUser") or selection.get("creatingUser", ""), ""),
                    created_at=created, updated_at=_time(selection.get("modifiedDateTime")) or created,
                    uuid=(selection.get("guid") if len(codings) == 1 else coding.get("guid")) or None))
    links = []
    for link in root.iter(_Q + "Link"):
        source_at, target_at = by_selection.get(link.get("originGUID", "")), by_selection.get(link.get("targetGUID", ""))
        if source_at is None or target_at is None:
            continue  # a link between codes, sources or memos: we link annotations only
        note = notes.get(_ref(link, "NoteRef"))
        links.append(ProjectLink(
            source=source_at, target=target_at, type=link.get("name") or "", uuid=link.get("guid") or None,
            note="" if note is None else _note_text(archive, note),
            annotator="" if note is None else users.get(note.get("creatingUser", ""), ""),
            created_at=None if note is None else _time(note.get("creationDateTime"))))
    return ProjectData(articles=articles, tags=tags, annotations=annotations, links=links)


def _ref(element: Element, kind: str) -> str:
    found = element.find(_Q + kind)
    return "" if found is None else found.get("targetGUID", "")


def _title(element: Element, number: int) -> str:
    name = (element.get("name") or "").strip()
    name = re.sub(r"\.txt$", "", name, flags=re.IGNORECASE) or f"Source {number}"
    return "".join(ch if ch.isprintable() else " " for ch in name)[:TITLE_MAX]


def _internal(archive: _Zip, path: str, what: str) -> str:
    """The text of an ``internal://`` file under ``sources/``."""
    if not path.startswith("internal://"):
        raise ImportFileError(f"{what} is kept outside the project ({path[:80]!r}); export it with its sources")
    data = archive.read("sources/" + path[len("internal://"):])
    if data is None:
        raise ImportFileError(f"{what} names {path[:80]!r}, which is not in the file")
    return _decode(data, what)


def _source_text(archive: _Zip, element: Element, number: int) -> str:
    content = element.find(_Q + "PlainTextContent")
    if content is not None:
        return _text(content)
    return _internal(archive, element.get("plainTextPath") or "", f"the text of source {_title(element, number)!r}")


def _note_text(archive: _Zip, note: Element) -> str:
    content = note.find(_Q + "PlainTextContent")
    if content is not None or not note.get("plainTextPath"):
        return _text(content)
    return _internal(archive, note.get("plainTextPath", ""), "a note")


def _counts_utf16(sources: list[Element], raws: list[str]) -> bool:
    """True if some span fits its text only counted in UTF-16 units (see the module's docstring)."""
    for element, raw in zip(sources, raws, strict=True):
        units: Callable[[], int] = lambda raw=raw: len(raw) + len(_ASTRAL.findall(raw))  # noqa: E731
        for selection in element.findall(_Q + "PlainTextSelection"):
            end = selection.get("endPosition", "")
            if end.isdigit() and len(raw) < int(end) <= units():
                return True
    return False
