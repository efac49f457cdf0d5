"""The annotations table's SQL: ordered ids, filters, and page rows."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from annotator.commands import UpdateAnnotation
from annotator.table_queries import SORT_KEYS, TableFilter, annotation_ids, annotation_rows, snippet


@pytest.fixture
def tagged(db, add_article, tag_span):
    first = add_article("Alpha beta gamma.\nDelta epsilon zeta eta theta.", title="Bravo piece")
    second = add_article("🙂 smile Ünïcode 🙃 text 😀 with emoji", title="Alpha piece")
    uuids = {
        "beta": tag_span(first, 6, 10, "evidence", "carol"),
        "delta": tag_span(first, 18, 23, "allegation", "alice", note="needs checking"),
        "gamma_delta": tag_span(first, 11, 23, "denial", "bob"),
        "smile": tag_span(second, 2, 7, "context", "bob"),
        "text": tag_span(second, 18, 22, "allegation", "carol"),
        "emoji": tag_span(second, 23, 24, "denial", "alice"),
    }
    return db, first, second, uuids


def _ids(db, **kwargs) -> list[int]:
    sort = kwargs.pop("sort", None)
    descending = kwargs.pop("descending", False)
    with db.session() as session:
        return annotation_ids(session, TableFilter(**kwargs), sort, descending)


def _uuid_order(db, ids: list[int]) -> list[str]:
    with db.session() as session:
        rows = annotation_rows(session, ids)
    return [rows[i].uuid for i in ids]


def _names(tagged, ids):
    db, _first, _second, uuids = tagged
    by_uuid = {uuid: name for name, uuid in uuids.items()}
    return [by_uuid[uuid] for uuid in _uuid_order(db, ids)]


def test_default_order_is_order_added(tagged):
    assert _names(tagged, _ids(tagged[0])) == ["beta", "delta", "gamma_delta", "smile", "text", "emoji"]


def test_sort_by_tag_then_id_and_descending(tagged):
    db = tagged[0]
    assert _names(tagged, _ids(db, sort="tag")) == ["delta", "text", "smile", "gamma_delta", "emoji", "beta"]
    assert _names(tagged, _ids(db, sort="tag", descending=True)) == [
        "beta", "emoji", "gamma_delta", "smile", "text", "delta"]


def test_sort_by_text_annotator_article_created(tagged):
    db = tagged[0]
    # Span texts: beta, Delta, "gamma.\nDelta", smile, text, 😀 ("D" < "b" in binary collation).
    assert _names(tagged, _ids(db, sort="text")) == ["delta", "beta", "gamma_delta", "smile", "text", "emoji"]
    assert _names(tagged, _ids(db, sort="annotator")) == ["delta", "emoji", "gamma_delta", "smile", "beta", "text"]
    assert _names(tagged, _ids(db, sort="article"))[:3] == ["smile", "text", "emoji"]  # "Alpha piece" first
    assert _names(tagged, _ids(db, sort="created")) == ["beta", "delta", "gamma_delta", "smile", "text", "emoji"]
    assert _names(tagged, _ids(db, sort="note"))[-1] == "delta"


def test_sort_by_position_is_reading_order(tagged):
    db = tagged[0]
    # First article (added first): beta 6, gamma_delta 11, delta 18; then the second: smile 2, text 18, emoji 23.
    assert _names(tagged, _ids(db, sort="position")) == ["beta", "gamma_delta", "delta", "smile", "text", "emoji"]
    assert _names(tagged, _ids(db, sort="position", descending=True)) == [
        "emoji", "text", "smile", "delta", "gamma_delta", "beta"]


def test_every_sort_key_returns_every_id(tagged):
    db = tagged[0]
    everything = sorted(_ids(db))
    for key in SORT_KEYS:
        for descending in (False, True):
            assert sorted(_ids(db, sort=key, descending=descending)) == everything
    with pytest.raises(ValueError):
        _ids(db, sort="colour")


def test_filters_by_tag_annotator_article(tagged):
    db, first, second, _ = tagged
    assert set(_names(tagged, _ids(db, tags=["denial"]))) == {"gamma_delta", "emoji"}
    assert set(_names(tagged, _ids(db, tags=["denial", "context"]))) == {"gamma_delta", "emoji", "smile"}
    assert set(_names(tagged, _ids(db, annotators=["bob"]))) == {"gamma_delta", "smile"}
    assert set(_names(tagged, _ids(db, article_ids=[second]))) == {"smile", "text", "emoji"}
    assert set(_names(tagged, _ids(db, article_ids=[first], annotators=["alice"]))) == {"delta"}
    assert _ids(db, annotators=["nobody"]) == []


def test_text_filter_matches_span_text_or_note(tagged):
    db = tagged[0]
    assert set(_names(tagged, _ids(db, text="delta"))) == {"delta", "gamma_delta"}  # ASCII case folded
    assert set(_names(tagged, _ids(db, text="checking"))) == {"delta"}  # the note
    assert set(_names(tagged, _ids(db, text="MA.\nd"))) == {"gamma_delta"}  # across a newline
    assert _ids(db, text="epsilon") == []  # in the article, but inside no span
    assert _ids(db, text="beta gamma") == []  # straddles two spans
    assert _ids(db, text="%") == [] and _ids(db, text="_") == []  # LIKE wildcards are literal


def test_text_filter_on_emoji_text(tagged):
    db = tagged[0]
    assert set(_names(tagged, _ids(db, text="smile"))) == {"smile"}
    assert set(_names(tagged, _ids(db, text="😀"))) == {"emoji"}
    assert set(_names(tagged, _ids(db, text="xt"))) == {"text"}
    assert _ids(db, text="🙃") == []


def test_rows_hold_display_data(tagged):
    db, first, second, uuids = tagged
    ids = _ids(db)
    with db.session() as session:
        rows = annotation_rows(session, ids)
    delta = next(row for row in rows.values() if row.uuid == uuids["delta"])
    assert (delta.tag, delta.text, delta.note, delta.annotator) == ("allegation", "Delta", "needs checking", "alice")
    assert (delta.article_id, delta.start, delta.end, delta.article_title) == (first, 18, 23, "Bravo piece")
    assert delta.color.startswith("#") and delta.created_at.tzinfo is not None
    emoji = next(row for row in rows.values() if row.uuid == uuids["emoji"])
    assert emoji.text == "😀"
    with db.session() as session:
        assert annotation_rows(session, []) == {}
        assert annotation_rows(session, [999999]) == {}


def test_snippets_are_one_line_and_short(db, add_article, tag_span):
    article = add_article("line one\nline two " + "x" * 500)
    tag_span(article, 0, 300, "context")
    with db.session() as session:
        (row,) = annotation_rows(session, _ids(db)).values()
    assert row.text.startswith("line one⏎line two") and row.text.endswith("…")
    assert len(row.text) == 201 and "\n" not in row.text
    assert snippet("a\r\nb") == "a⏎b"


def test_retag_moves_between_tag_filters(tagged):
    db, _first, _second, uuids = tagged
    UpdateAnnotation(uuids["beta"], tag="denial").do(db)
    assert "beta" in _names(tagged, _ids(db, tags=["denial"]))


def test_ids_for_many_annotations_come_fast(db, add_article):
    """A smoke test of the id path: 20,000 rows sort and filter well under a second."""
    from datetime import datetime

    from annotator.commands.rows import find_or_add_analyst, insert_annotation_rows
    from annotator.models import Tag

    article = add_article("word " * 5000)
    stamp = datetime(2024, 1, 1).strftime("%Y-%m-%d %H:%M:%S.%f")  # as a file stores it
    with db.transaction() as session:  # the bulk insert the commands use (a server's rows cannot skip its checks)
        zed, _ = find_or_add_analyst(session, "zed")
        tags = sorted(session.scalars(select(Tag.id)))[:4]
        insert_annotation_rows(session.connection(), [
            (f"u{i}", article, i, i + 3 + i % 7, tags[i % 4], "", zed, stamp, stamp) for i in range(20_000)])
    started = time.perf_counter()
    assert len(_ids(db, sort="tag")) == 20_000
    assert len(_ids(db, text="word")) > 10_000
    assert time.perf_counter() - started < 3


def test_paged_orders_match_the_full_lists(tagged):
    from annotator.table_queries import PAGED_SORT_KEYS, annotation_id_page, annotation_position, is_paged

    db = tagged[0]
    assert is_paged(TableFilter(), "tag") and not is_paged(TableFilter(text="x"), "tag") and not is_paged(None, "note")
    for key in [*PAGED_SORT_KEYS, "note", "article"]:
        for descending in (False, True):
            everything = _ids(db, sort=key, descending=descending)
            with db.session() as session:
                paged = [i for offset in range(0, 8, 4) for i in annotation_id_page(session, offset, 4, key, descending)]
                positions = [annotation_position(session, i, key, descending) for i in everything]
                assert annotation_position(session, 999999, key, descending) is None
            assert paged == everything, (key, descending)
            assert positions == list(range(len(everything))), (key, descending)


@pytest.mark.sqlite_only  # SQLite's query plans
def test_paged_orders_walk_an_index_without_sorting(db):
    """EXPLAIN QUERY PLAN: the unfiltered orders the table pages through need no temporary B-tree."""
    from annotator.table_queries import PAGED_SORT_KEYS, _ordered_query

    with db.session() as session:
        connection = session.connection()
        for key in PAGED_SORT_KEYS:
            for descending in (False, True):
                query = _ordered_query(session, None, key, descending).limit(10).offset(20)
                compiled = query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
                plan = " | ".join(row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))
                assert "TEMP B-TREE" not in plan, (key, descending, plan)


def test_text_filter_with_other_filters_and_orders(tagged):
    db = tagged[0]
    for key in SORT_KEYS:
        assert set(_names(tagged, _ids(db, text="delta", sort=key))) == {"delta", "gamma_delta"}
    assert _names(tagged, _ids(db, text="delta", sort="tag")) == ["delta", "gamma_delta"]
    assert _names(tagged, _ids(db, text="delta", sort="tag", descending=True)) == ["gamma_delta", "delta"]
    assert _names(tagged, _ids(db, text="delta", tags=["denial"], sort="annotator")) == ["gamma_delta"]
    assert _names(tagged, _ids(db, text="e", annotators=["carol"], sort=None)) == ["beta", "text"]
    assert _ids(db, text="delta", article_ids=[tagged[2]]) == []


def test_text_filter_long_spans_repeats_and_non_ascii(db, add_article, tag_span):
    text = "Ünï ÄÖ aaaa " + "filler " * 300 + "Satellite SATELLITE end 🙂 aaa"
    article = add_article(text)
    long_span = tag_span(article, 0, len(text), "context")  # the longest span bounds the search window
    short = tag_span(article, text.index("Satellite"), text.index("Satellite") + 9, "evidence")
    tail = tag_span(article, text.index("🙂"), len(text), "denial")
    early = tag_span(article, 7, 11, "allegation")  # "aaaa"

    def uuids(needle):
        with db.session() as session:
            return set(row.uuid for row in annotation_rows(session, annotation_ids(session, TableFilter(text=needle))).values())

    assert uuids("satellite") == {long_span, short}
    assert uuids("satellite satellite") == {long_span}
    assert uuids("aaa") == {long_span, early, tail}  # overlapping occurrences count
    assert uuids("🙂 a") == {long_span, tail}
    assert uuids("äö") == uuids("ÄÖ") == {long_span}  # every letter's case is folded


@pytest.fixture
def accented(db, add_article, tag_span):
    """Sednáya stored decomposed in one article and precomposed in another; ß, and a note stored decomposed."""
    nfd = add_article("Reports from Sedna\u0301ya prison. The Hauptstraße was closed. Cafe\u0301 talk.")
    nfc = add_article("Sednáya again, and a cafe nearby.")
    spans = {
        "nfd": tag_span(nfd, 13, 21, "evidence"),  # "Sedna\u0301ya"
        "nfc": tag_span(nfc, 0, 7, "allegation"),  # "Sednáya"
        "street": tag_span(nfd, 34, 45, "context"),  # "Hauptstraße"
        "cafe_nfd": tag_span(nfd, 58, 63, "denial"),  # "Cafe\u0301"
        "cafe": tag_span(nfc, 21, 25, "context", note="Me\u0301ndez said so"),  # "cafe"
    }

    def found(needle: str) -> set[str]:
        names = {uuid: name for name, uuid in spans.items()}
        with db.session() as session:
            rows = annotation_rows(session, annotation_ids(session, TableFilter(text=needle)))
        return {names[row.uuid] for row in rows.values()}

    return found


def test_text_filter_ignores_normalisation(accented):
    assert accented("Sednáya") == accented("Sedna\u0301ya") == accented("SEDNÁYA") == {"nfd", "nfc"}
    assert accented("méndez") == accented("Me\u0301ndez") == {"cafe"}  # the note, stored decomposed
    assert accented("café") == {"cafe_nfd"}


def test_text_filter_never_splits_a_letter_from_its_accent(accented):
    assert accented("cafe") == {"cafe"}  # not "Cafe" + U+0301, just as it would not match a stored "Café"
    assert accented("sedna") == set()  # "Sedna" + U+0301 is not "sedna"
    assert accented("mendez") == set()


def test_text_filter_folds_case_beyond_ascii(accented):
    assert accented("HAUPTSTRASSE") == accented("hauptstraße") == {"street"}  # ß is ss, an ASCII needle too
    assert accented("hauptstras") == set()  # half of ß is not an s
