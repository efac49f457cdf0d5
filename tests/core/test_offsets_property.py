"""Offsets survive the round trip through import, storage, undo/redo and queries, whatever the script."""

from __future__ import annotations

import codecs
import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from annotator.commands import AddAnnotations, AnnotationSpec
from annotator.importer import import_paths
from annotator.models import Article
from annotator.queries import annotations_for_article, list_annotations
from annotator.rules import has_visible_span, has_visible_text
from annotator.text import normalise_newlines, sha256_text

ATOMS = [
    "a", "Z", "7", " ", ".", ",", "\u201c", "\u2019",
    "\U0001F600", "\U0001F469\u200d\U0001F469\u200d\U0001F467", "\U0001F1FA\U0001F1E6", "\U0001F44D\U0001F3FD",
    "e\u0301", "a\u0308\u0323", "\u0915\u094d\u0937",
    "\u0645\u0631\u062d\u0628\u0627", "\u05e9\u05dc\u05d5\u05dd", "\u05b8",
    "\u202e", "\u2066", "\u2069", "\u200f", "\u200d",
    "\u4e2d\u6587", "\u3042", "\U00020000", "\U0001D518",
    "\u00a0", "\t", "\u2028", "\u2029", "\f",
    "\r\n", "\r", "\n",
]
ENCODINGS = [("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("utf-16-le", codecs.BOM_UTF16_LE),
             ("utf-16-be", codecs.BOM_UTF16_BE)]
TAGS = ["allegation", "denial", "evidence", "context"]

texts = st.lists(st.sampled_from(ATOMS), min_size=1, max_size=60).map("".join).filter(has_visible_text)


def store(db, folder, counter, raw: str, encoding: int) -> int:
    codec, bom = ENCODINGS[encoding]
    path = folder / f"article {next(counter)} \u0645\u0642\u0627\u0644.txt"
    path.write_bytes(bom + raw.encode(codec))
    report = import_paths(db, [path])
    assert not report.problems, report.problems
    with db.session() as session:
        return session.scalar(select(Article.id).where(Article.sha256 == sha256_text(normalise_newlines(raw))))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=texts, encoding=st.integers(0, len(ENCODINGS) - 1), data=st.data())
def test_offsets_round_trip(db, tmp_path, raw, encoding, data):
    counter = test_offsets_round_trip.counter
    expected_text = normalise_newlines(raw)
    article_id = store(db, tmp_path, counter, raw, encoding)
    assert article_id is not None
    with db.session() as session:
        stored = session.get(Article, article_id).text
    assert stored == expected_text

    n = len(stored)
    spans = data.draw(st.lists(
        st.tuples(st.integers(0, n - 1), st.integers(1, n), st.sampled_from(TAGS))
        .map(lambda s: (min(s[0], s[1] - 1), max(s[1], s[0] + 1), s[2]))
        .filter(lambda s: s[1] <= n and has_visible_span(stored, s[0], s[1])),
        min_size=1, max_size=5, unique=True,
    ))
    command = AddAnnotations([AnnotationSpec(article_id, start, end, tag) for start, end, tag in spans],
                             "analyst \u05e9")
    command.do(db)
    wanted = {uuid: (start, end, tag) for uuid, (start, end, tag) in zip(command.result.added, spans, strict=True)}

    def check_present():
        with db.session() as session:
            found = {a.uuid: (a.start, a.end, a.tag) for a in annotations_for_article(session, article_id)}
            listed = {a.uuid: (a.start, a.end, a.tag)
                      for a in list_annotations(session, article_ids=[article_id])}
            text = session.get(Article, article_id).text
            for uuid, (start, end, _tag) in wanted.items():
                piece = expected_text[start:end]
                assert text[start:end] == piece
                # SQLite's substr() must cut the same piece as Python slicing.
                hits = list_annotations(session, article_ids=[article_id], text_contains=piece)
                assert uuid in {a.uuid for a in hits}
        assert found == wanted
        assert listed == wanted

    check_present()
    command.undo(db)
    with db.session() as session:
        assert annotations_for_article(session, article_id) == []
    command.do(db)
    check_present()
    command.undo(db)  # leave the article free for a later example with the same text


test_offsets_round_trip.counter = itertools.count()
