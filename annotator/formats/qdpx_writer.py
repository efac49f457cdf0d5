"""Writing annotations as a REFI-QDA project (``.qdpx``) for MAXQDA, ATLAS.ti, NVivo and QualCoder.

The zip holds ``sources/<article uuid>.txt`` (each exported article's text, UTF-8, ``\\n`` line ends) and
``project.qde`` in namespace ``urn:QDA-XML:project:1.0``, its elements in the order Project.xsd gives them:
``Users`` (every annotator), ``CodeBook``/``Codes`` (every tag, with its colour), ``Sources`` (a ``TextSource`` per
article, its text by ``plainTextPath="internal://<uuid>.txt"``), ``Notes`` and ``Links``. Each annotation is one
``PlainTextSelection`` (guid: the annotation's UUID; ``startPosition``/``endPosition``: code points of the text
shipped, end exclusive; who made it and when, who changed it last and when) holding its note as ``Description``
and one ``Coding`` whose ``CodeRef`` names its tag. A link is a ``Link`` (``name``: its type, ``OneWay`` from
source to target) whose ``NoteRef`` names a ``Note`` holding its note, its analyst and its time.

Sections the schema requires to be non-empty are left out when there is nothing to put in them. GUIDs not
stored (users, codes of tags without a UUID, codings, notes) are derived from names and UUIDs (uuid5), so the
same database exports the same GUIDs. Selections are staged in a temporary file while the users are counted,
so a million annotations are never held in memory.
"""

from __future__ import annotations

import tempfile
import uuid as uuid_module
import zipfile
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import BinaryIO

from .records import ExportBatch, ExportContext, iso_utc

NS = "urn:QDA-XML:project:1.0"
_GUIDS = uuid_module.UUID("5d0c7a52-6a43-4d3e-9f0e-2b7f1c9a8e41")  # the namespace of derived GUIDs
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTRIBUTE_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;", '"': "&quot;",
                                    "\n": "&#10;", "\t": "&#9;"})


def guid(*parts: str) -> str:
    return str(uuid_module.uuid5(_GUIDS, "\x1f".join(parts)))


def _text(value: str) -> str:
    return value.translate(_TEXT_ESCAPES)


def _attrs(**values: str | int | None) -> str:
    return "".join(f' {key}="{str(value).translate(_ATTRIBUTE_ESCAPES)}"' for key, value in values.items()
                   if value is not None and value != "")


class _Project:
    """What project.qde will say, gathered while the batches pass."""

    def __init__(self, context: ExportContext | None):
        self.users: dict[str, str] = {}  # name -> guid
        self.codes: dict[str, tuple[str, str]] = {}  # tag name -> (guid, colour)
        for tag in context.tags if context is not None else ():
            self.codes[tag.name] = (tag.uuid or guid("tag", tag.name), tag.color)
        self.metas = dict(context.articles) if context is not None else {}
        self.repeats = 0

    def user(self, name: str | None) -> str | None:
        if not name:
            return None
        return self.users.setdefault(name, guid("user", name))

    def code(self, name: str) -> str:
        if name not in self.codes:
            self.codes[name] = (guid("tag", name), "")
        return self.codes[name][0]


def write(handle: BinaryIO, batches: Iterable[ExportBatch], *, spreadsheet_safe: bool = True,
          context: ExportContext | None = None) -> int:
    """Write the batches (and ``context``'s tags and links) as a .qdpx to ``handle``; return the annotations."""
    del spreadsheet_safe  # no spreadsheet reads a .qdpx
    project = _Project(context)
    written = 0
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive, \
            tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as sources:
        current: int | None = None
        seen: set[int] = set()
        for batch in batches:
            for uuid, article_id, start, end, tag, note, annotator, created, updated, *rest in batch.annotations:
                if article_id != current:
                    if current is not None:
                        sources.write("</TextSource>")
                    current = article_id
                    sources.write(_open_source(archive, project, batch.articles[article_id], article_id in seen))
                    seen.add(article_id)
                edited_by = rest[0] if rest else None
                who = project.user(annotator)
                sources.write(
                    f"<PlainTextSelection{_attrs(guid=uuid, startPosition=start, endPosition=end, creatingUser=who)}"
                    f"{_attrs(creationDateTime=iso_utc(created), modifyingUser=project.user(edited_by) or who)}"
                    f"{_attrs(modifiedDateTime=iso_utc(updated or created))}>"
                    + (f"<Description>{_text(note)}</Description>" if note else "")
                    + f"<Coding{_attrs(guid=guid('coding', uuid), creatingUser=who)}"
                    f"{_attrs(creationDateTime=iso_utc(created))}>"
                    f"<CodeRef{_attrs(targetGUID=project.code(tag))}/></Coding></PlainTextSelection>")
                written += 1
        if current is not None:
            sources.write("</TextSource>")
        links = context.links if context is not None else ()
        for link in links:
            project.user(link.annotator)
        sources.seek(0)
        with archive.open("project.qde", "w", force_zip64=True) as raw:
            _write_project(raw, project, sources, links, bool(seen))
    return written


def _open_source(archive: zipfile.ZipFile, project: _Project, article, repeated: bool) -> str:
    """A TextSource's opening tag; the article's text goes into sources/ the first time it is met."""
    meta = project.metas.get(article.id)
    text_guid = meta.uuid if meta is not None and meta.uuid else guid("article", article.sha256)
    source_guid = text_guid
    if repeated:  # the article again after another (batches out of order): one more TextSource of the same text
        project.repeats += 1
        source_guid = guid("again", text_guid, str(project.repeats))
    else:
        archive.writestr(zipfile.ZipInfo(f"sources/{text_guid}.txt", _now_tuple()),
                         article.text.encode("utf-8"), compress_type=zipfile.ZIP_DEFLATED)
    path = f"internal://{text_guid}.txt"
    return f"<TextSource{_attrs(guid=source_guid, name=article.title, plainTextPath=path)}>"


def _now_tuple() -> tuple[int, int, int, int, int, int]:
    now = datetime.now(UTC)
    return (max(now.year, 1980), now.month, now.day, now.hour, now.minute, now.second)


def _write_project(raw: BinaryIO, project: _Project, sources, links, any_source: bool) -> None:
    def put(value: str) -> None:
        raw.write(value.encode("utf-8"))

    created = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    put('<?xml version="1.0" encoding="utf-8"?>\n')
    put(f'<Project xmlns="{NS}"{_attrs(name="Spanner export", origin="Spanner", creationDateTime=created)}>')
    if project.users:
        put("<Users>" + "".join(f"<User{_attrs(guid=g, name=n)}/>" for n, g in project.users.items()) + "</Users>")
    if project.codes:
        put("<CodeBook><Codes>")
        for name, (code_guid, colour) in project.codes.items():
            put(f'<Code{_attrs(guid=code_guid, name=name, isCodable="true", color=colour)}/>')
        put("</Codes></CodeBook>")
    if any_source:
        put("<Sources>")
        while chunk := sources.read(1 << 20):
            put(chunk)
        put("</Sources>")
    if links:
        put("<Notes>")
        for link in links:
            put(f'<Note{_attrs(guid=guid("note", link.uuid), name="Link note", creatingUser=project.user(link.annotator))}'
                f"{_attrs(creationDateTime=iso_utc(link.created_at))}>"
                f"<PlainTextContent>{_text(link.note)}</PlainTextContent></Note>")
        put("</Notes><Links>")
        for link in links:
            put(f'<Link{_attrs(guid=link.uuid, name=link.type, direction="OneWay")}'
                f"{_attrs(originGUID=link.source.uuid, targetGUID=link.target.uuid)}>"
                f'<NoteRef{_attrs(targetGUID=guid("note", link.uuid))}/></Link>')
        put("</Links>")
    put("</Project>\n")

