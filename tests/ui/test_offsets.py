"""Code points ↔ Qt positions: the one conversion, proved over awkward texts."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PySide6.QtGui import QTextCursor, QTextDocument
from PySide6.QtWidgets import QPlainTextEdit

from ui.comparison.article_view import ArticleView, load_plain_text
from ui.comparison.highlighter import AnnotationHighlighter, HighlightIndex
from ui.offsets import OffsetMap

PIECES = [
    "😀", "👍🏽", "👩\u200d👩\u200d👧", "🏳️\u200d🌈", "🇺🇸", "🇸🇾",  # emoji, skin tone, ZWJ sequences, flags
    "e\u0301", "a\u0308\u0323", "ก\u0e34",  # combining marks
    "مرحبا", "سوريا", "שלום", "\u200f", "\u200e", "\u202e", "\u202c", "\u2066", "\u2069",  # RTL and bidi controls
    "漢字", "中文", "𠀋", "𝔸",  # CJK (incl. astral) and astral letters
    "\u00a0", "\t", "\u2028", "\u2029", "\n", " ",  # odd white space and breaks
    "word", "a", "Z", "-", "'", "’", ".",
]

texts = st.lists(
    st.one_of(st.sampled_from(PIECES), st.characters(exclude_categories=("Cs",))), max_size=40
).map("".join)


@st.composite
def text_and_span(draw):
    text = draw(texts.filter(bool))
    start = draw(st.integers(0, len(text)))
    end = draw(st.integers(start, len(text)))
    return text, start, end


def qt_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@given(texts)
@example("a😀b👩\u200d👩\u200d👧c")
def test_round_trip(text):
    offsets = OffsetMap(text)
    assert offsets.qt_length == qt_length(text)
    for cp in range(len(text) + 1):
        pos = offsets.to_qt(cp)
        assert pos == qt_length(text[:cp])
        assert offsets.from_qt(pos) == cp
        assert offsets.from_qt(pos, round_up=True) == cp


@given(texts)
def test_positions_inside_a_surrogate_pair_round_to_the_character(text):
    offsets = OffsetMap(text)
    for cp, ch in enumerate(text):
        if ord(ch) > 0xFFFF:
            inside = offsets.to_qt(cp) + 1
            assert offsets.from_qt(inside) == cp
            assert offsets.from_qt(inside, round_up=True) == cp + 1
    back = [offsets.from_qt(pos) for pos in range(offsets.qt_length + 1)]
    assert back == sorted(back) and back[-1] == len(text)  # never goes backwards, ends at the end


def test_astral_offsets_concretely():
    text = "😀 ab 🇺🇸 c"
    offsets = OffsetMap(text)
    assert [offsets.to_qt(i) for i in range(len(text) + 1)] == [0, 2, 3, 4, 5, 6, 8, 10, 11, 12]
    assert offsets.from_qt(1) == 0 and offsets.from_qt(1, round_up=True) == 1


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(text_and_span())
@example(("x\u00a0👍🏽 مرحبا\u2028שלום\u2029漢字\tend", 2, 12))
@example(("\ufeff😀😀 a", 0, 5))
def test_a_qt_selection_reads_back_as_the_same_code_points(qapp, case):
    text, start, end = case
    offsets = OffsetMap(text)
    for widget in (QPlainTextEdit(), ArticleView()):
        if isinstance(widget, ArticleView):
            widget.set_article(1, text, [], [])
        else:
            load_plain_text(widget, text)
        cursor = QTextCursor(widget.document())
        cursor.setPosition(offsets.to_qt(start))
        cursor.setPosition(offsets.to_qt(end), QTextCursor.MoveMode.KeepAnchor)
        widget.setTextCursor(cursor)
        shown = widget.textCursor()
        assert (offsets.from_qt(shown.selectionStart()), offsets.from_qt(shown.selectionEnd(), True)) == (start, end)
        if isinstance(widget, ArticleView):
            expected = (start, end) if text[start:end].strip() else None
            assert widget.selected_span(snap=False) == expected
            if expected:
                assert widget.selected_text(snap=False) == text[start:end]
        widget.deleteLater()


@settings(max_examples=100, deadline=None)
@given(texts)
@example("\ufeff\n😀\u2029x")
def test_block_index_matches_the_document(qapp, text):
    document = QTextDocument()
    load_plain_text(document, text)
    index = HighlightIndex(text, OffsetMap(text))
    positions, block = [], document.firstBlock()
    while block.isValid():
        positions.append(block.position())
        block = block.next()
    assert index.block_starts_qt == positions


class _CheckedHighlighter(AnnotationHighlighter):
    """Records, for every block Qt highlights, the number counted and the number Qt reports."""

    def __init__(self, document):
        super().__init__(document)
        self.seen: list[tuple[int, int]] = []
        self.asked = 0  # how often the count was lost and Qt had to be asked

    def currentBlock(self):  # noqa: N802 (Qt override)
        self.asked += 1
        return super().currentBlock()

    def highlightBlock(self, text):  # noqa: N802 (Qt override)
        self.seen.append((self._current_block_number(text), super().currentBlock().blockNumber()))


@settings(max_examples=100, deadline=None)
@given(texts)
@example("\ufeff\n😀\u2029x")
@example("a\n\nb\r\nc\u2028d\ufdd0e")
def test_the_highlighter_counts_blocks_like_qt(qapp, text):
    widget = QPlainTextEdit()
    document = widget.document()
    highlighter = _CheckedHighlighter(document)
    highlighter.set_blocks(HighlightIndex(text, OffsetMap(text)).block_starts_cp, len(text))
    load_plain_text(widget, text)
    highlighter.rehighlight()
    block = document.lastBlock()
    highlighter.rehighlightBlock(block)
    highlighter.rehighlightBlock(document.firstBlock())
    assert highlighter.seen
    assert all(counted == actual for counted, actual in highlighter.seen)
    widget.deleteLater()


def test_the_highlighter_keeps_count_without_asking_qt(qapp):
    text = "one\ntwo 😀\n\nfour\u2029five\rsix\u2028seven"
    widget = QPlainTextEdit()
    document = widget.document()
    highlighter = _CheckedHighlighter(document)
    highlighter.set_blocks(HighlightIndex(text, OffsetMap(text)).block_starts_cp, len(text))
    load_plain_text(widget, text)
    highlighter.rehighlightBlock(document.findBlockByNumber(3))
    # (QPlainTextEdit clears the document first, which highlights the empty block 0 once.)
    assert [actual for _counted, actual in highlighter.seen][-document.blockCount() - 1:] == [
        *range(document.blockCount()), 3]
    assert all(counted == actual for counted, actual in highlighter.seen)
    assert highlighter.asked <= 1  # only for the cleared document's empty block
    widget.deleteLater()
