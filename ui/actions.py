"""Every command the user can give is one QAction, registered once here and shared by
menus, toolbar, context menus and shortcuts (so a shortcut can never drift from its menu item).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence

from annotator.formats.registry import describe_reader_suffixes

from .icons import icon

Key = QKeySequence.StandardKey


@dataclass(frozen=True)
class ActionSpec:
    text: str
    icon: str | None = None
    shortcuts: tuple = ()
    tip: str = ""
    checkable: bool = False


ACTION_SPECS: dict[str, ActionSpec] = {
    "import": ActionSpec("&Import Articles…", "import", (Key.Open,), f"Import {describe_reader_suffixes()} files"),
    "import_folder": ActionSpec("Import &Folder…", "open_folder", ("Ctrl+Shift+I",),
                                f"Import every {describe_reader_suffixes()} file in a folder"),
    "import_url": ActionSpec("Import from &URL…", "import_url", ("Ctrl+Shift+U",),
                             "Import the article of a web page by its address"),
    "load_teammate": ActionSpec("&Load Teammate Database…", "merge", ("Ctrl+Shift+O",), "See and merge a teammate's annotations"),
    "share": ActionSpec("&Share My Database…", "share", (), "Write a clean copy of your database to send"),
    "export": ActionSpec("&Export CSV…", "export", ("Ctrl+E",), "Export annotations to a CSV file"),
    "export_links": ActionSpec("Export &Links…", "export", (), "Export the links between annotations to a CSV file"),
    "quit": ActionSpec("&Quit", "quit", (Key.Quit, "Ctrl+Q")),
    "delete": ActionSpec("&Delete Annotation", "delete", (Key.Delete,), "Delete the selected annotations"),
    "edit_note": ActionSpec("Edit &Note…", "note", ("F2",), "Write a note on the selected annotation"),
    "adjust_span": ActionSpec("Adjust &Span…", "adjust_span", ("Ctrl+Shift+A",), "Move the ends of the selected annotation"),
    "link_to": ActionSpec("&Link to…", "link", ("Ctrl+L",),
                          "Link the selected annotation to another: click it, or Tab to it and press Enter "
                          "(Ctrl+Shift+drag between two highlights does it too)"),
    "copy_to_passages": ActionSpec("Cop&y to Shared Passages…", "copy_to_passages", (),
                                   "Tag the same words in the passages the other shown articles share with it"),
    "new_claim": ActionSpec("&New Claim…", "claim_add", (), "Name a statement the story is about, to attach annotations to"),
    "attach_new_claim": ActionSpec("New Claim…", "claim_add", (), "Make a claim and attach the selected annotations to it"),
    "rename_claim": ActionSpec("&Rename Claim…", "rename", (), "Rename the selected claim (F2 in the Claims panel)"),
    "claim_note": ActionSpec("Edit Claim N&ote…", "note", (), "Write a note on the selected claim"),
    "delete_claim": ActionSpec("De&lete Claim", "delete", (),
                               "Delete the selected claim; its annotations stay (Delete in the Claims panel)"),
    "attach_to_claim": ActionSpec("A&ttach to Claim…", "claim_attach", ("Ctrl+Shift+C",),
                                  "Attach the selected annotations to a claim, picked by typing its name"),
    "export_matrix_csv": ActionSpec("Export Matrix as &CSV…", "export", (),
                                    "Write the coverage matrix (claims × articles) to a CSV file"),
    "export_matrix_picture": ActionSpec("Export Matrix as &Picture…", "picture", (),
                                        "Save the coverage matrix as a PNG or SVG picture"),
    "find": ActionSpec("&Find…", "find", (Key.Find,), "Find text in the shown articles"),
    "find_next": ActionSpec("Find &Next", "find_next", (Key.FindNext,)),
    "find_previous": ActionSpec("Find &Previous", "find_previous", (Key.FindPrevious,)),
    "zoom_in": ActionSpec("Zoom &In", "zoom_in", (Key.ZoomIn, "Ctrl+=")),
    "zoom_out": ActionSpec("Zoom &Out", "zoom_out", (Key.ZoomOut,)),
    "zoom_reset": ActionSpec("&Actual Size", "zoom_reset", ("Ctrl+0",)),
    "refresh": ActionSpec("&Refresh", "refresh", (Key.Refresh,), "Show changes made in another window or by the CLI"),
    "sync_scroll": ActionSpec("S&ynchronised Scrolling", "sync_scroll", (), "Scroll all columns together", True),
    "shared_passages": ActionSpec("Find Shared &Passages", "shared_passages", ("Ctrl+Shift+P",),
                                  "Find the passages the shown articles share (wire copy, reprinted quotes): "
                                  "bands between the columns and a list (remembered)", True),
    "snap_words": ActionSpec("Snap to &Words", None, (),
                             "Widen mouse selections to whole words; off, they keep the exact characters "
                             "(Alt+drag does the other, once)", True),
    "dark_mode": ActionSpec("&Dark Mode", None, (), "Light text on a dark background (remembered)", True),
    "focus_mode": ActionSpec("F&ocus on Articles", None, ("Ctrl+Shift+F",),
                             "Hide the panels and toolbars so the articles get the whole window", True),
    "charts": ActionSpec("C&harts…", "charts", (), "Tags per article and per outlet, and the coverage heat map"),
    "agreement": ActionSpec("A&greement", "agreement", (),
                            "How far the annotators agree, per tag and per article (Krippendorff's α_U, κ)"),
    "compare_annotators": ActionSpec("Compare A&nnotators…", "compare", (),
                                     "Two annotators' layers of an article side by side: step through their "
                                     "differences and settle each into a curated layer"),
    "manage_tags": ActionSpec("&Manage Tags…", "manage_tags", (), "Rename, recolour, reorder and add tags"),
    "change_analyst": ActionSpec("Change &Analyst Name…", "analyst", (), "Who new annotations are recorded as"),
    "shortcuts": ActionSpec("&Keyboard Shortcuts", "shortcuts", (Key.HelpContents,)),
}


def key_sequences(shortcuts) -> list[QKeySequence]:
    """Each shortcut once: a standard key expands to every binding the platform gives it, and a literal sequence
    it already holds is dropped. (Binding one sequence twice makes Qt call it ambiguous and fire neither: on X11
    the standard Redo key is Ctrl+Shift+Z and Quit is Ctrl+Q.)"""
    found: dict[str, QKeySequence] = {}
    for shortcut in shortcuts:
        if isinstance(shortcut, QKeySequence.StandardKey):
            sequences = QKeySequence.keyBindings(shortcut)
        else:
            sequences = [QKeySequence(shortcut)]
        for sequence in sequences:
            text = sequence.toString(QKeySequence.SequenceFormat.PortableText)
            if text and text not in found:
                found[text] = sequence
    return list(found.values())


class ActionRegistry(QObject):
    """Owns the application's QActions by key ("export", "tag:evidence", ...)."""

    def __init__(self, parent: QObject):
        super().__init__(parent)
        self._actions: dict[str, QAction] = {}

    def add(self, key: str, slot: Callable | None = None, spec: ActionSpec | None = None) -> QAction:
        spec = spec or ACTION_SPECS[key]
        action = QAction(spec.text, self.parent())
        action.setObjectName(f"action_{key}")
        if spec.icon:
            action.setIcon(icon(spec.icon))
        if spec.shortcuts:
            action.setShortcuts(key_sequences(spec.shortcuts))
        tip = spec.tip or spec.text.replace("&", "").rstrip("…")
        if spec.shortcuts:
            tip += f" ({QKeySequence(spec.shortcuts[0]).toString(QKeySequence.SequenceFormat.NativeText)})"
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.setCheckable(spec.checkable)
        if slot is not None:
            (action.toggled if spec.checkable else action.triggered).connect(slot)
        self.register(key, action)
        return action

    def register(self, key: str, action: QAction) -> QAction:
        """Register an action made elsewhere (the undo stack's undo/redo)."""
        if key in self._actions:
            raise KeyError(f"action {key!r} is registered twice")
        self._actions[key] = action
        return action

    def remove(self, key: str) -> None:
        action = self._actions.pop(key)
        # deleteLater waits for the event loop: until then a stale shortcut would make the key ambiguous.
        action.setShortcuts([])
        action.deleteLater()

    def __getitem__(self, key: str) -> QAction:
        return self._actions[key]

    def __contains__(self, key: str) -> bool:
        return key in self._actions

    def keys_with_prefix(self, prefix: str) -> list[str]:
        return [key for key in self._actions if key.startswith(prefix)]

    def all(self) -> dict[str, QAction]:
        return dict(self._actions)
