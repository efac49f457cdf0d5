"""No key sequence belongs to two actions: Qt calls such a key ambiguous and fires neither (issue 10, item 1:
Redo and Quit were dead on X11, where the standard keys are the same sequences the actions also bound)."""

from __future__ import annotations

from collections import defaultdict

from PySide6.QtGui import QKeySequence

from ui.actions import key_sequences

Key = QKeySequence.StandardKey


def test_a_standard_key_and_its_literal_sequence_are_bound_once(qapp):  # key bindings come from the platform
    for shortcuts in ((Key.Quit, "Ctrl+Q"), ("Ctrl+Shift+Z", Key.Redo), (Key.ZoomIn, "Ctrl+="), (Key.Undo,)):
        texts = [sequence.toString() for sequence in key_sequences(shortcuts)]
        assert len(texts) == len(set(texts)) and texts
    assert [s.toString() for s in key_sequences(("Ctrl+Q", "Ctrl+Q"))] == ["Ctrl+Q"]


def test_no_two_actions_of_the_window_share_a_key(window):
    owners: dict[str, list[str]] = defaultdict(list)
    for key, action in window.actions.all().items():
        for sequence in action.shortcuts():
            owners[sequence.toString(QKeySequence.SequenceFormat.PortableText)].append(key)
    shared = {sequence: keys for sequence, keys in owners.items() if len(keys) > 1}
    assert shared == {}
    redo = {s.toString() for s in window.actions["redo"].shortcuts()}
    quit_keys = {s.toString() for s in window.actions["quit"].shortcuts()}
    assert "Ctrl+Shift+Z" in redo and "Ctrl+Q" in quit_keys
