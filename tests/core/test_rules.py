"""annotator/rules.py: names that only look like another name, text that shows nothing, and text Qt would garble."""

from __future__ import annotations

import pytest

from annotator import rules
from annotator.commands import AddAnnotations, AnnotationSpec
from annotator.errors import InvalidValueError, SpanError

LOOKS_LIKE_ALICE = {
    "variation selector": "alice\ufe0f", "combining grapheme joiner": "alice\u034f",
    "Mongolian free variation selector": "alice\u180b", "Hangul filler": "alice\u3164",
    "Hangul choseong filler": "alice\u115f", "blank Braille pattern": "alice\u2800",
    "variation selector 17": "alice\U000e0100", "zero-width space": "alice\u200b", "bidi override": "\u202eecila",
}


@pytest.mark.parametrize("name", LOOKS_LIKE_ALICE.values(), ids=LOOKS_LIKE_ALICE.keys())
def test_a_name_with_a_character_that_draws_nothing_is_refused(name):
    with pytest.raises(InvalidValueError, match="invisible or control character"):
        rules.check_annotator_name(name)
    with pytest.raises(InvalidValueError):
        rules.check_tag_name(name.replace("alice", "allegation"))


@pytest.mark.parametrize("name", ["❤\ufe0f Bob", "👩\u200d💻 Alice", "José", "Jose\u0301", "می\u200cخواهم", "李雷"])
def test_names_people_really_have_are_accepted(name):
    assert rules.check_annotator_name(name) == name


@pytest.mark.parametrize("theirs", ["Alice", "ALICE", "ａｌｉｃｅ", "\u0430lice", "\u0430l\u0456c\u0435", "Jose\u0301"])
def test_look_alike_names_share_a_key(theirs):
    ours = "José" if theirs.startswith("Jose") else "alice"
    assert theirs != ours and rules.name_key(theirs) == rules.name_key(ours)


def test_different_names_keep_different_keys():
    assert rules.name_key("alice") != rules.name_key("alicia")
    assert rules.name_key("Bob") != rules.name_key("Rob")


@pytest.mark.parametrize("text", ["\u3164\u3164 \u3164", "\u2800\u2800", "\u115f\n\u1160", "\u200b\u200d\ufeff", "\u0301\u0301"])
def test_an_article_that_shows_nothing_is_refused(text):
    with pytest.raises(InvalidValueError, match="no text"):
        rules.check_article_text(text)


def test_a_noncharacter_that_qt_reads_as_a_byte_swapped_mark_is_refused():
    with pytest.raises(InvalidValueError, match="U\\+FFFE"):
        rules.check_article_text("\ufffeAlice said so.")
    assert rules.check_article_text("\ufeffAlice said so.")  # a BOM inside is only a zero-width no-break space


def test_a_span_of_invisible_characters_cannot_be_tagged(db, add_article):
    text = "Alice \u200b\u200b\u200b said \u3164 so."
    article = add_article(text)
    start = text.index("\u200b")
    for span in ((start, start + 3), (text.index("\u3164"), text.index("\u3164") + 1)):
        with pytest.raises(SpanError, match="invisible"):
            AddAnnotations([AnnotationSpec(article, *span, "allegation")], "alice").do(db)
    visible = AddAnnotations([AnnotationSpec(article, 0, 5, "allegation")], "alice")
    visible.do(db)
    assert len(visible.result.added) == 1


def test_has_visible_span_agrees_with_has_visible_text():
    text = "a \u200b b \u3164 c ❤ d"
    for start in range(len(text)):
        for end in range(start + 1, len(text) + 1):
            assert rules.has_visible_span(text, start, end) == rules.has_visible_text(text[start:end])
