"""W3C Web Annotation export (``.jsonld``) and import: every MUST of the data model, and a round trip.

The MUSTs of https://www.w3.org/TR/annotation-model/ that apply to what we write, each asserted once in
``test_every_must_of_the_data_model`` (numbers are the model's sections):

 1. 3.1  An Annotation MUST have 1 or more @context values and http://www.w3.org/ns/anno.jsonld MUST be one of
         them; if there is only one value, it MUST be given as a string.
 2. 3.1  An Annotation MUST have exactly 1 IRI that identifies it (``id``).
 3. 3.1  An Annotation MUST have 1 or more types, and the Annotation class MUST be one of them.
 4. 3.1  There MUST be 1 or more target relationships associated with an Annotation.
 5. 3.2.4 A TextualBody MUST have exactly 1 ``value`` (a string).
 6. 3.3.1 ``created`` MUST be expressed in the xsd:dateTime format.
 7. 3.3.1 ``modified`` MUST be expressed in the xsd:dateTime format and MUST use the UTC timezone ("Z").
 8. 3.3.5 A ``motivation`` (and a body's ``purpose``) MUST be one of the model's Motivations.
 9. 4    A Specific Resource (each text target) MUST have exactly 1 ``source``.
10. 4.2.4 A TextQuoteSelector MUST have exactly 1 ``exact`` (the selected text, as a string).
11. 4.2.5 A TextPositionSelector MUST have exactly 1 ``start`` and exactly 1 ``end``, non-negative integers, counted in
         Unicode code points (not code units); the character at ``end`` is not selected.
12. 4.2  Each selector MUST have exactly 1 ``type`` naming its class.
13. 5.1  An AnnotationCollection MUST have 1 or more @context values, with anno.jsonld one of them; exactly 1 IRI
         (``id``); 1 or more types, AnnotationCollection one of them.
14. 5.2  An AnnotationPage MUST have exactly 1 IRI, the AnnotationPage type, and exactly 1 ``items`` list.
15. 5.1  ``total`` (when given) MUST be a non-negative integer, and the number of annotations in the collection.
16. 3.3.2 An Agent's ``name`` MUST be a string (its ``type``, a SHOULD, is checked to be Person as well).
17. 3.2.1 An External Web Resource (a link's two targets, a target's ``source``) MUST be identified by exactly 1 IRI.
"""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest
from sqlalchemy import select

from annotator.cli import main
from annotator.commands import AddAnnotations, AddLink, AnnotationSpec
from annotator.db import Database
from annotator.errors import ImportFileError
from annotator.export import export_file
from annotator.formats import w3c_reader, w3c_writer
from annotator.formats.records import AnnotationRecord, ArticleRecord, ExportBatch, Source
from annotator.importer import ArticleText, ImportArticles
from annotator.models import Annotation, Annotator, Article, Link, Tag
from annotator.project_import import ImportProject
from annotator.workspace import Workspace
from tests.conftest import DATA_DIR as DATA

CONTEXT = "http://www.w3.org/ns/anno.jsonld"
MOTIVATIONS = {"assessing", "bookmarking", "classifying", "commenting", "describing", "editing", "highlighting",
               "identifying", "linking", "moderating", "questioning", "replying", "tagging"}
XSD_DATETIME = re.compile(r"^-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?$")
IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
UUID_IRI = re.compile(r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

ARTICLES = [
    ArticleText(text="The minister said \u201cwe never\u201d signed \U0001f600 the deal.\nLine two here.",
                title="Curly", outlet="Daily", url="https://news.example/curly"),
    ArticleText(text="A plain article with no address, about the deal and its denial.", title="Plain"),
]


@pytest.fixture
def project(db):
    """Two articles (one with a URL, curly quotes and an emoji), four annotations by two people, one link."""
    ImportArticles(list(ARTICLES)).do(db)
    text = ARTICLES[0].text
    first = AddAnnotations([AnnotationSpec(1, text.index("\u201c"), text.index("signed") + 6, "allegation",
                                           "quoted \u201cexactly\u201d"),
                            AnnotationSpec(1, text.index("\U0001f600"), text.index("deal") + 4, "evidence")], "alice")
    first.do(db)
    second = AddAnnotations([AnnotationSpec(2, 2, 7, "denial", "a note\nover lines"),
                             AnnotationSpec(2, 2, 7, "context")], "bob")
    second.do(db)
    link = AddLink(second.result.added[0], first.result.added[0], "contradicts", "bob disagrees", "bob")
    link.do(db)
    return db


def export(db, path) -> dict:
    assert export_file(db, path) == 4  # the format follows from the .jsonld suffix
    return json.loads(path.read_text(encoding="utf-8"))


def stored(db: Database) -> dict:
    """What a user sees of a database: texts, tags, spans with notes, annotators and times, links."""
    with db.session() as session:
        sha = dict(session.execute(select(Article.id, Article.sha256)).all())
        annotations = session.execute(select(Annotation.uuid, Annotation.article_id, Annotation.start, Annotation.end,
                                             Tag.name, Annotation.note, Annotator.name, Annotation.created_at,
                                             Annotation.updated_at).join(Tag, Tag.id == Annotation.tag_id)
                                      .join(Annotator, Annotator.id == Annotation.annotator_id)).all()
        by_id = dict(session.execute(select(Annotation.id, Annotation.uuid)).all())
        links = session.execute(select(Link.uuid, Link.source_id, Link.target_id, Link.type, Link.note,
                                       Annotator.name, Link.created_at)
                                .join(Annotator, Annotator.id == Link.annotator_id)).all()
        return {
            "texts": sorted(session.scalars(select(Article.text))),
            "tags": sorted(session.execute(select(Tag.name, Tag.color)).all()),
            "annotations": sorted((u, sha[a], s, e, t, n, who, c, m) for u, a, s, e, t, n, who, c, m in annotations),
            "links": sorted((u, by_id[s], by_id[t], ty, n, who, c) for u, s, t, ty, n, who, c in links),
        }


def source_of(path) -> Source:
    return Source(str(path), lambda: bytearray(path.read_bytes()))


def test_every_must_of_the_data_model(project, tmp_path):
    collection = export(project, tmp_path / "out.jsonld")
    page = collection["first"]
    items = page["items"]
    annotations = [item for item in items if item["motivation"] != "linking"]
    with project.session() as session:
        texts = {sha: text for sha, text in session.execute(select(Article.sha256, Article.text))}
    assert len(annotations) == 4 and len(items) == 5
    for item in items:
        assert item["@context"] == CONTEXT and isinstance(item["@context"], str)  # 1
        assert isinstance(item["id"], str) and UUID_IRI.match(item["id"])  # 2
        assert "Annotation" in ([item["type"]] if isinstance(item["type"], str) else item["type"])  # 3
        assert item["target"]  # 4
        assert all(isinstance(body["value"], str) for body in item["body"] if body["type"] == "TextualBody")  # 5
        assert XSD_DATETIME.match(item["created"])  # 6
        assert XSD_DATETIME.match(item["modified"]) and item["modified"].endswith("Z")  # 7
        assert item["motivation"] in MOTIVATIONS and all(b["purpose"] in MOTIVATIONS for b in item["body"])  # 8
        assert item["creator"]["type"] == "Person" and isinstance(item["creator"]["name"], str)  # 16
    assert len({item["id"] for item in items}) == 5
    for item in annotations:
        target = item["target"]
        assert isinstance(target["source"], str)  # 9
        assert IRI.match(target["source"])  # 17
        assert all(isinstance(selector["type"], str) for selector in target["selector"])  # 12
        position, quote = target["selector"]
        text = texts[target["source"].removeprefix("urn:sha256:")] if target["source"].startswith("urn:sha256:") \
            else ARTICLES[0].text
        assert quote["type"] == "TextQuoteSelector" and quote["exact"] == text[position["start"]:position["end"]]  # 10
        assert position["type"] == "TextPositionSelector" and 0 <= position["start"] < position["end"] <= len(text)  # 11
        assert quote["prefix"] == text[max(0, position["start"] - 32):position["start"]]
        assert quote["suffix"] == text[position["end"]:position["end"] + 32]
    (link,) = (item for item in items if item["motivation"] == "linking")
    assert len(link["target"]) == 2 and all(UUID_IRI.match(end) for end in link["target"])  # 17
    assert collection["@context"] == CONTEXT and UUID_IRI.match(collection["id"])  # 13
    assert collection["type"] == "AnnotationCollection"  # 13
    assert UUID_IRI.match(page["id"]) and page["type"] == "AnnotationPage" and isinstance(items, list)  # 14
    assert collection["total"] == len(items)  # 15


def test_what_the_export_says(project, tmp_path):
    items = export(project, tmp_path / "out.jsonld")["first"]["items"]
    by_tag = {item["body"][0]["value"]: item for item in items}
    allegation = by_tag["allegation"]
    assert allegation["target"]["source"] == "https://news.example/curly"
    assert allegation["target"]["spanner:sha256"] == ARTICLES[0].sha256  # the very text, beside its URL
    assert allegation["target"]["selector"][1]["exact"] == "\u201cwe never\u201d signed"
    assert allegation["body"] == [{"type": "TextualBody", "value": "allegation", "purpose": "tagging"},
                                  {"type": "TextualBody", "value": "quoted \u201cexactly\u201d", "format": "text/plain",
                                   "purpose": "commenting"}]
    assert allegation["creator"] == {"type": "Person", "name": "alice"}
    # The emoji is one code point: the position counts it once, as Python does.
    evidence = by_tag["evidence"]["target"]["selector"]
    assert evidence[1]["exact"] == "\U0001f600 the deal" and evidence[0]["end"] - evidence[0]["start"] == 10
    assert by_tag["denial"]["target"]["source"].startswith("urn:sha256:")
    assert len(by_tag["context"]["body"]) == 1  # no note, no commenting body
    link = by_tag["contradicts"]
    assert link["motivation"] == "linking"
    assert link["target"] == [by_tag["denial"]["id"], by_tag["allegation"]["id"]]
    assert link["body"][1]["value"] == "bob disagrees" and link["creator"]["name"] == "bob"


def test_round_trip_into_a_fresh_database(project, tmp_path):
    path = tmp_path / "out.jsonld"
    export(project, path)
    fresh = Database.open(tmp_path / "fresh.db")
    try:
        # The same articles under other ids, after another text from the same URL (the page as it reads today).
        ImportArticles([ArticleText(text="The page as edited since.", title="Edited", url=ARTICLES[0].url),
                        *reversed(ARTICLES)]).do(fresh)
        ImportProject(w3c_reader.read(source_of(path))).do(fresh)
        got, want = stored(fresh), stored(project)
        got["texts"].remove("The page as edited since.")
        assert got == want
    finally:
        fresh.close()


def test_a_file_that_only_quotes_lands_on_the_words(db, tmp_path):
    ImportArticles(list(ARTICLES)).do(db)
    path = tmp_path / "hypothesis.json"
    path.write_text(json.dumps([{  # a plain array, as Hypothesis-style tools write: no positions, other counting
        "@context": CONTEXT, "id": "https://hyp.example/a1", "type": "Annotation", "motivation": "commenting",
        "created": "2026-01-02T03:04:05+01:00", "creator": {"type": "Person", "nickname": "carol"},
        "body": [{"type": "TextualBody", "value": "deal", "purpose": "tagging"}], "bodyValue": "see this",
        "target": [{"source": "https://news.example/curly", "selector": [
            {"type": "TextPositionSelector", "start": 30, "end": 38},  # UTF-16 units: two past ours
            {"type": "TextQuoteSelector", "exact": "the deal", "prefix": "\U0001f600 ", "suffix": "."}]}],
    }]), encoding="utf-8")

    def find(source):
        with db.session() as session:
            return [ArticleText(text=row.text, title=row.title, url=row.url) for row in session.execute(
                select(Article.text, Article.title, Article.url).where(Article.url == source))]

    data = w3c_reader.read(source_of(path), find)
    ImportProject(data).do(db)
    (uuid, _sha, start, end, tag, note, who, created, _modified), = stored(db)["annotations"]
    assert ARTICLES[0].text[start:end] == "the deal" and tag == "deal" and note == "see this" and who == "carol"
    assert created.replace(tzinfo=None) == datetime(2026, 1, 2, 2, 4, 5)


@pytest.mark.parametrize(("content", "words"), [
    (b"{not json", "is not valid JSON (line 1, column 2)"),
    (b"[" * 100_000 + b"]" * 100_000, "nests its values too deeply"),
    (b'{"type": "Thing"}', "is not an AnnotationCollection, an AnnotationPage or an Annotation"),
    (b'[{"type": "Annotation", "target": "https://x.example/"}]', "annotation 1: it has no target with a source"),
    (b'[{"type": "Annotation", "target": {"source": "https://x.example/", "selector": '
     b'{"type": "TextPositionSelector", "start": "1", "end": 2}}}]', "are not whole numbers"),
    (b'[{"type": "Annotation", "created": "yesterday", "target": {"source": "https://x.example/", "selector": '
     b'{"type": "TextPositionSelector", "start": 1, "end": 2}}}]', "its time 'yesterday' is not an xsd:dateTime"),
    (b'[{"type": "Annotation", "motivation": "linking", "target": ["urn:uuid:a", "urn:uuid:b"]}]',
     "link 1: it names an annotation that is not in the file"),
    (b'{"type": "AnnotationCollection", "first": "https://x.example/page1"}', "only their addresses are"),
])
def test_a_broken_file_is_refused_with_a_reason(tmp_path, content, words):
    path = tmp_path / "bad.jsonld"
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=re.escape(words)):
        w3c_reader.read(source_of(path))


def test_an_article_not_in_the_library_is_named(db, tmp_path, project):
    path = tmp_path / "out.jsonld"
    export(project, path)
    with pytest.raises(ImportFileError, match=r"4 annotations are on articles that are not in the library"):
        w3c_reader.read(source_of(path), lambda source: [])


def test_the_file_is_written_as_it_goes(tmp_path):
    """A million annotations are never one list: each batch is on its way to the file before the next is read."""
    text = "word " * 2000
    article = ArticleRecord(1, "Long", "0" * 64, text)
    handle = open(tmp_path / "big.jsonld", "wb")  # noqa: SIM115
    sizes = []

    def batches():
        for number in range(20):
            rows = [AnnotationRecord(f"00000000-0000-4000-8000-{number:06d}{index:06d}", 1, index * 5, index * 5 + 4,
                                     "evidence", "", "alice", "2026-01-01 00:00:00.000000",
                                     "2026-01-01 00:00:00.000000") for index in range(500)]
            yield ExportBatch(rows, {1: article})
            sizes.append(handle.tell())

    with handle:
        assert w3c_writer.write(handle, batches()) == 10_000
    assert sizes[0] > 100_000 and sizes == sorted(sizes) and sizes[-1] > 20 * sizes[0] * 0.9
    items = json.loads((tmp_path / "big.jsonld").read_text(encoding="utf-8"))["first"]["items"]
    assert len(items) == 10_000 and items[-1]["target"]["source"] == "urn:sha256:" + "0" * 64


def test_without_the_library_articles_are_named_and_odd_ids_dropped(tmp_path):
    path = tmp_path / "refs.jsonld"
    sha = "ab" * 32
    path.write_text(json.dumps({"type": "AnnotationPage", "items": [
        {"type": "Annotation", "id": "urn:uuid:not-a-uuid", "target": {"source": f"urn:sha256:{sha.upper()}",
                                                                       "selector": [{"type": "TextPositionSelector",
                                                                                     "start": 1, "end": 3}]}},
        {"type": "Annotation", "id": "URN:UUID:0B6C1F1E-52A4-4B8E-9C1D-5A7E3F0D2C11",
         "body": [{"type": "TextualBody", "value": "a", "purpose": "tagging"},
                  {"type": "TextualBody", "value": "b", "purpose": ["tagging"]}],
         "target": {"source": "https://x.example/", "selector": {"type": "TextPositionSelector", "start": 0, "end": 2}}},
    ]}), encoding="utf-8")
    data = w3c_reader.read(source_of(path))
    assert data.articles == [] and [(r.sha256, r.url) for r in data.article_refs] == [(sha, None),
                                                                                      (None, "https://x.example/")]
    assert [(a.article, a.tag, a.uuid) for a in data.annotations] == [
        (0, "highlighting", None), (1, "a", "0b6c1f1e-52a4-4b8e-9c1d-5a7e3f0d2c11"), (1, "b", None)]
    assert [tag.name for tag in data.tags] == ["highlighting", "a", "b"]


def test_an_empty_export_is_an_empty_collection(db, tmp_path):
    path = tmp_path / "none.jsonld"
    assert export_file(db, path, format="w3c") == 0
    collection = json.loads(path.read_text(encoding="utf-8"))
    assert collection["first"]["items"] == [] and collection["total"] == 0
    assert [tag["name"] for tag in collection["spanner:tags"]] == ["allegation", "denial", "evidence", "context"]


def test_an_import_whose_quote_is_not_the_text_at_its_position_is_refused(tmp_path):
    """From the command line the reader has no texts: the import checks each position against its quote, so a
    file counting positions another way (UTF-16, CRLF) is refused rather than tagging other words."""
    db = tmp_path / "team.db"
    assert main(["import", str(db), str(DATA)]) == 0
    with Workspace.open(db) as ws:
        text = ws.article(1).text
        start = text.index("crematorium")
        ws.run(AddAnnotations([AnnotationSpec(1, start, start + 11, "allegation")], "alice"))
        out = tmp_path / "out.jsonld"
        export_file(ws.db, out)
    shifted = out.read_text(encoding="utf-8").replace(f'"start":{start},', f'"start":{start + 2},').replace(
        f'"end":{start + 11}', f'"end":{start + 13}')
    assert shifted != out.read_text(encoding="utf-8")
    bad = tmp_path / "shifted.jsonld"
    bad.write_text(shifted, encoding="utf-8")
    fresh = tmp_path / "fresh.db"
    assert main(["import", str(fresh), str(DATA)]) == 0
    assert main(["import", str(fresh), str(bad)]) == 1
    with Workspace.open(fresh) as ws:
        assert ws.annotations() == []
    assert main(["import", str(fresh), str(out)]) == 0
