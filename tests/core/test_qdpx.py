"""REFI-QDA (.qdpx): our export against Project.xsd's structure, the round trip, other tools' positions, hostile zips.

project.qde is validated against REFI-QDA's Project.xsd (QDA-XML 1.0, 18 March 2019, MIT licence; the copy
QualCoder shipped in qualcoder/xsd.py, kept in tests/data/refi_qda) with xmlschema, and a structural test holds it
to the same schema without xmlschema: the Project's children in the schema's sequence, each element's children in its
type's sequence, the required attributes, GUIDType and RGBType patterns, and every reference resolving.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from sqlalchemy import text as sql

from annotator.commands import AddAnnotations, AddLink, AnnotationSpec, UpdateAnnotation
from annotator.db import Database
from annotator.errors import ImportFileError
from annotator.export import export_file
from annotator.formats import qdpx_reader
from annotator.formats.records import ArticleText, Source
from annotator.importer import ImportArticles, import_paths
from annotator.queries import stored_time
from tests.cli_support import run

Q = "{urn:QDA-XML:project:1.0}"
GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
RGB = re.compile(r"#([A-Fa-f0-9]{6}|[A-Fa-f0-9]{3})")
# Project.xsd: each type's child sequence, and its required attributes.
SEQUENCES = {
    "Project": ["Users", "CodeBook", "Variables", "Cases", "Sources", "Notes", "Links", "Sets", "Graphs",
                "Description", "NoteRef"],
    "Users": ["User"], "CodeBook": ["Codes"], "Codes": ["Code"], "Code": ["Description", "NoteRef", "Code"],
    "Sources": ["TextSource"], "TextSource": ["Description", "PlainTextContent", "PlainTextSelection", "Coding",
                                              "NoteRef", "VariableValue"],
    "PlainTextSelection": ["Description", "Coding", "NoteRef"], "Coding": ["CodeRef", "NoteRef"],
    "Notes": ["Note"], "Note": ["Description", "PlainTextContent", "PlainTextSelection", "Coding", "NoteRef"],
    "Links": ["Link"], "Link": ["NoteRef"], "User": [], "CodeRef": [], "NoteRef": [], "Description": [],
    "PlainTextContent": [],
}
REQUIRED = {"Project": ["name"], "User": ["guid"], "Code": ["guid", "name", "isCodable"], "TextSource": ["guid"],
            "PlainTextSelection": ["guid", "startPosition", "endPosition"], "Coding": ["guid"],
            "CodeRef": ["targetGUID"], "NoteRef": ["targetGUID"], "Note": ["guid"], "Link": ["guid"]}
GUID_ATTRIBUTES = {"guid", "targetGUID", "creatingUser", "modifyingUser", "originGUID"}
TEXT = "He said “no” 😀 — then 😀😀 left.\nNext line, with a tab\there."


def snapshot(db: Database) -> dict:
    """What a user sees: texts, tags, spans (and their text), notes, annotators, times, UUIDs, links."""
    with db.engine.connect() as conn:
        annotations = conn.execute(sql(
            "SELECT a.uuid, ar.sha256, ar.text, a.start, a.\"end\", t.name, a.note, n.name, a.created_at, a.updated_at"
            " FROM annotations a JOIN articles ar ON ar.id = a.article_id JOIN tags t ON t.id = a.tag_id"
            " JOIN annotators n ON n.id = a.annotator_id ORDER BY a.uuid")).all()
        links = conn.execute(sql(
            "SELECT l.uuid, s.uuid, t.uuid, l.type, l.note, n.name, l.created_at FROM links l"
            " JOIN annotations s ON s.id = l.source_id JOIN annotations t ON t.id = l.target_id"
            " JOIN annotators n ON n.id = l.annotator_id ORDER BY l.uuid")).all()
        tags = conn.execute(sql("SELECT name, color FROM tags ORDER BY name")).all()
        texts = conn.execute(sql("SELECT title, text FROM articles ORDER BY sha256")).all()
    # Times as the moments they are (a file holds them as text, a server as timestamps).
    return {"annotations": [(*row[:2], row[2][row[3]:row[4]], *row[3:8], *map(stored_time, row[8:]))
                            for row in annotations],
            "links": [(*row[:6], stored_time(row[6])) for row in links], "tags": list(map(tuple, tags)),
            "texts": list(map(tuple, texts))}


@pytest.fixture
def project_db(db) -> Database:
    """Curly quotes, emoji (astral: two UTF-16 units each), notes with CR and edges, two analysts, a link."""
    command = ImportArticles([ArticleText(text=TEXT, title="Quotes & emoji <1>"),
                              ArticleText(text="A second article.\n", title="Second")])
    command.do(db)
    first, second = (row[0] for row in command.report.added)
    emoji = TEXT.index("😀😀")
    add = AddAnnotations([AnnotationSpec(first, 8, 12, "denial", "  a note\r\nwith CR & <b>  "),
                          AnnotationSpec(first, emoji, emoji + 2, "allegation", "", "bob"),
                          AnnotationSpec(first, emoji, emoji + 2, "evidence"),
                          AnnotationSpec(second, 2, 8, "context", "tab\there")], "alice")
    add.do(db)
    UpdateAnnotation(add.result.added[3], note="changed").do(db)
    AddLink(add.result.added[0], add.result.added[1], "contradicts", "because\r\n", "carol").do(db)
    return db


def test_round_trip_into_an_empty_database_gives_back_the_same_annotations(project_db, tmp_path):
    out = tmp_path / "out.qdpx"
    assert export_file(project_db, out) == 4
    fresh = Database.open(tmp_path / "fresh.db")
    try:
        report = import_paths(fresh, [out])
        assert report.problems == []
        done = report.project_imports[0].report
        assert (done.articles_added, done.annotations_added, done.links_added) == (2, 4, 1)
        assert snapshot(fresh) == snapshot(project_db)
    finally:
        fresh.close()


def test_project_qde_follows_the_published_schema(project_db, tmp_path):
    out = tmp_path / "out.qdpx"
    export_file(project_db, out, format="qdpx")
    with zipfile.ZipFile(out) as archive:
        root = ElementTree.fromstring(archive.read("project.qde"))
        names = set(archive.namelist())
        assert root.tag == Q + "Project"
        guids = {e.get("guid") for e in root.iter() if e.get("guid")}
        for element in root.iter():
            kind = element.tag.removeprefix(Q)
            assert element.tag.startswith(Q), element.tag
            order = SEQUENCES[kind]
            children = [child.tag.removeprefix(Q) for child in element]
            assert all(child in order for child in children), (kind, children)
            assert [order.index(c) for c in children] == sorted(order.index(c) for c in children), (kind, children)
            for attribute in REQUIRED.get(kind, []):
                assert element.get(attribute), (kind, attribute)
            for attribute in GUID_ATTRIBUTES & set(element.attrib):
                assert GUID.fullmatch(element.get(attribute)), (kind, attribute)
            if element.get("color") is not None:
                assert RGB.fullmatch(element.get("color"))
            for attribute in ("targetGUID", "creatingUser", "modifyingUser", "originGUID"):
                assert element.get(attribute) is None or element.get(attribute) in guids, (kind, attribute)
        sources = root.findall(f"{Q}Sources/{Q}TextSource")
        assert len(sources) == 2
        for source in sources:
            assert source.find(Q + "PlainTextContent") is None  # PlainTextContent or plainTextPath, not both
            path = source.get("plainTextPath").removeprefix("internal://")
            shipped = archive.read("sources/" + path).decode("utf-8")
            for selection in source.findall(Q + "PlainTextSelection"):
                start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
                assert 0 <= start < end <= len(shipped)
        assert TEXT in {archive.read(n).decode("utf-8") for n in names if n.startswith("sources/")}
        for code in root.iter(Q + "Code"):
            assert code.get("isCodable") in ("true", "false")


def test_project_qde_is_valid_against_project_xsd(project_db, tmp_path):
    """The published schema itself (tests/data/refi_qda/Project.xsd, as QualCoder ships it, MIT licence)."""
    xmlschema = pytest.importorskip("xmlschema")
    schema = xmlschema.XMLSchema(str(Path(__file__).parents[1] / "data" / "refi_qda" / "Project.xsd"))
    out = tmp_path / "out.qdpx"
    export_file(project_db, out)
    with zipfile.ZipFile(out) as archive:
        schema.validate(archive.read("project.qde").decode("utf-8"))


def test_cli_import_takes_a_qdpx(project_db, tmp_path, capsys):
    out = tmp_path / "out.qdpx"
    export_file(project_db, out)
    code, stdout, _err = run(capsys, "import", tmp_path / "new.db", out)
    assert code == 0
    assert "2 articles" in stdout and "4 annotations" in stdout and "1 link" in stdout


# --- other tools' files -------------------------------------------------------------------------


def qdpx(qde: str, files: dict[str, bytes] | None = None) -> Source:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", qde)
        for name, data in (files or {}).items():
            archive.writestr(name, data)
    data = buffer.getvalue()
    return Source("p.qdpx", lambda: bytearray(data))


USER, CODE, SOURCE = ("11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222",
                      "33333333-3333-3333-3333-333333333333")


def project(selections: list[tuple[int, int]], origin: str = "MAXQDA 2022") -> str:
    rows = "".join(
        f'<PlainTextSelection guid="44444444-4444-4444-4444-44444444444{n}" startPosition="{s}" endPosition="{e}" '
        f'creatingUser="{USER}" creationDateTime="2021-03-04T05:06:07Z"><Description>memo {n}</Description>'
        f'<Coding guid="55555555-5555-5555-5555-55555555555{n}"><CodeRef targetGUID="{CODE}"/></Coding>'
        f"</PlainTextSelection>" for n, (s, e) in enumerate(selections))
    return (f'<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" name="p" '
            f'origin="{origin}"><Users><User guid="{USER}" name="Dana"/></Users><CodeBook><Codes>'
            f'<Code guid="{CODE}" name="Claims" isCodable="true" color="#0a0"/></Codes></CodeBook><Sources>'
            f'<TextSource guid="{SOURCE}" name="interview.txt" plainTextPath="internal://{SOURCE}.txt">{rows}'
            f"</TextSource></Sources></Project>")


@pytest.mark.parametrize("origin", ["MAXQDA 2022", "NVivo 14", "ATLAS.ti 23", "QualCoder 3.5"])
def test_positions_count_code_points_and_line_ends_as_each_tool_does(origin):
    """MAXQDA and NVivo count a CRLF as two characters, ATLAS.ti and QualCoder as one; a BOM is not counted."""
    shipped = "\ufeff“Quoted” 😀 words\r\nline two 😀 end\r\n"
    counted = shipped[1:] if origin[0] in "MN" else shipped[1:].replace("\r\n", "\n")
    wanted = ["“Quoted”", "words", "two 😀 end"]
    spans = [(counted.index(w), counted.index(w) + len(w)) for w in wanted]
    data = qdpx_reader.read(qdpx(project(spans, origin), {f"sources/{SOURCE}.txt": shipped.encode("utf-8")}))
    article = data.articles[0]
    assert "\r" not in article.text and article.title == "interview"
    assert [article.text[a.start:a.end] for a in data.annotations] == wanted
    first = data.annotations[0]
    assert (first.tag, first.annotator, first.note, first.created_at.year) == ("Claims", "Dana", "memo 0", 2021)
    assert data.tags[0].color == "#00aa00"


def test_positions_counted_in_utf16_units_are_recognised():
    raw = "😀 a 😀 b 😀 tail"
    units = raw.encode("utf-16-le")
    wanted_end = len(units) // 2  # the whole text, counted in UTF-16 units: past its last code point
    start = len("😀 a 😀 b 😀 ".encode("utf-16-le")) // 2
    data = qdpx_reader.read(qdpx(project([(start, wanted_end)]), {f"sources/{SOURCE}.txt": raw.encode()}))
    annotation = data.annotations[0]
    assert data.articles[0].text[annotation.start:annotation.end] == "tail"


def test_inline_text_and_a_link_between_selections():
    qde = project([(0, 4), (5, 9)]).replace(f' plainTextPath="internal://{SOURCE}.txt">', "><PlainTextContent>"
                                            "Some text here</PlainTextContent>")
    qde = qde.replace("</Project>", '<Links><Link guid="66666666-6666-6666-6666-666666666666" name="Causes" '
                      'originGUID="44444444-4444-4444-4444-444444444440" '
                      'targetGUID="44444444-4444-4444-4444-444444444441"/></Links></Project>')
    data = qdpx_reader.read(qdpx(qde))
    assert [data.articles[0].text[a.start:a.end] for a in data.annotations] == ["Some", "text"]
    assert [(k.source, k.target, k.type) for k in data.links] == [(0, 1, "Causes")]


# --- hostile files ------------------------------------------------------------------------------


def refused(source: Source) -> str:
    with pytest.raises(ImportFileError) as caught:
        qdpx_reader.read(source)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_name_climbing_out_of_the_project_is_refused():
    assert "points outside the project" in refused(qdpx(project([]), {"../evil.txt": b"x"}))
    assert "points outside the project" in refused(qdpx(project([]), {"/etc/evil.txt": b"x"}))


def test_a_zip_bomb_is_refused_while_it_is_read():
    bomb = b"\0" * (24 * 1024 * 1024)
    message = refused(qdpx(project([(0, 1)]), {f"sources/{SOURCE}.txt": bomb}))
    assert "expands too far" in message


def test_entities_and_dtds_are_refused():
    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
              '<Project xmlns="urn:QDA-XML:project:1.0" name="&lol2;"/>')
    assert "DTD" in refused(qdpx(laughs))


@pytest.mark.parametrize(("data", "words"), [
    (b"not a zip", "not a zip file"),
    (None, "no project.qde"),
])
def test_what_is_not_a_project_gets_one_line(data, words):
    if data is None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("other.txt", "x")
        data = buffer.getvalue()
    assert words in refused(Source("p.qdpx", lambda: bytearray(data)))


def test_a_source_outside_the_file_is_named():
    qde = project([(0, 1)]).replace(f"internal://{SOURCE}.txt", "absolute:///home/x/interview.txt")
    assert "kept outside the project" in refused(qdpx(qde))


def test_a_bad_import_writes_nothing(db, tmp_path):
    path = Path(tmp_path / "bad.qdpx")
    path.write_bytes(b"PK\x03\x04 broken")
    report = import_paths(db, [path])
    assert report.project_imports == [] and "not a zip file" in report.problems[0].reason


def test_the_apps_import_of_a_qdpx_is_one_undo_step(project_db, tmp_path):
    """File › Import: read_articles reads the project, ImportArticles stores it; undo takes it all back."""
    from annotator.importer import read_articles

    out = tmp_path / "out.qdpx"
    export_file(project_db, out)
    fresh = Database.open(tmp_path / "fresh.db")
    try:
        before = snapshot(fresh)
        texts, report = read_articles([out], None, fresh.holds)
        assert texts == [] and len(report.projects) == 1
        command = ImportArticles(texts, report)
        command.do(fresh)
        assert command.label == "Import project"
        after = snapshot(fresh)
        assert after["annotations"] == snapshot(project_db)["annotations"]
        command.undo(fresh)
        assert snapshot(fresh) == before
        command.do(fresh)
        assert snapshot(fresh) == after
    finally:
        fresh.close()


def test_a_project_breaking_a_rule_is_one_error_line_and_no_database(tmp_path, capsys):
    qde = project([(0, 99)])
    path = tmp_path / "bad.qdpx"
    path.write_bytes(qdpx(qde, {f"sources/{SOURCE}.txt": b"Short text."}).read_bytes())
    code, _out, err = run(capsys, "import", tmp_path / "new.db", path)
    assert code == 1 and err.count("\n") == 1 and err.startswith("error: annotation 1: span 0–99 is outside")
    assert not (tmp_path / "new.db").exists()
