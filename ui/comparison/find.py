"""Find across the shown articles: step through the matches, tag them all as one undoable change."""

from __future__ import annotations

from collections.abc import Callable

from annotator import search
from annotator.commands import AddAnnotations, AnnotationSpec

from ..controller import AppController
from .comparison_area import ComparisonArea
from .find_bar import FindBar


class FindController:
    def __init__(self, controller: AppController, comparison: ComparisonArea, bar: FindBar,
                 say: Callable[[str], None]):
        self.controller = controller
        self.comparison = comparison
        self.bar = bar
        self._say = say
        self._matches: list[tuple[int, int, int]] = []  # (article id, start, end)
        self._index = -1
        bar.queryChanged.connect(self.find)
        bar.nextRequested.connect(lambda: self.step(+1))
        bar.previousRequested.connect(lambda: self.step(-1))
        bar.tagAllRequested.connect(self.tag_all)
        bar.closed.connect(lambda: self.find(""))

    def find(self, query: str) -> None:
        """Highlight every match in the shown articles, under the find bar's options."""
        self._matches = []
        for column in self.comparison.columns():
            spans = search.find_all(column.text, query, ignore_accents=self.bar.ignore_accents()) if query else []
            column.view.set_find_matches(spans)
            self._matches.extend((column.article_id, start, end) for start, end in spans)
        self._index = -1
        self.bar.set_match_count(len(self._matches))

    def step(self, delta: int) -> None:
        if not self._matches:
            if not self.bar.isVisible():
                self.bar.open_bar()
            return
        self._index = (self._index + delta) % len(self._matches)
        self.comparison.show_span(*self._matches[self._index])
        self.bar.set_match_count(len(self._matches), self._index)

    def tag_all(self, tag: str) -> None:
        if not self._matches:
            return
        specs = [AnnotationSpec(article_id, start, end, tag) for article_id, start, end in self._matches]
        command = AddAnnotations(specs, self.controller.analyst, skip_duplicates=True)
        command.label = f"Tag {len(specs):,} matches as {tag}"
        self.controller.run(command)
        skipped = command.result.skipped_duplicates
        extra = f" ({skipped:,} were already tagged)" if skipped else ""
        self._say(f"Tagged {len(command.result.added):,} matches as {tag}{extra}.")
