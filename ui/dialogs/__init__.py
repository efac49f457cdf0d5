"""The desktop app's dialogs. Each works through the AppController; none touches storage directly.

Each name is imported from its module the first time it is used: start-up needs only a few of them
(the error hook and the name prompt), and importing them all would delay the first painted window.
"""

from __future__ import annotations

import importlib

_MODULE_OF = {
    "AnalystDialog": "analyst_dialog", "ask_analyst_name": "analyst_dialog",
    "ArticleDetailsDialog": "article_dialog", "edit_article_details": "article_dialog",
    "install_excepthook": "errors", "show_error": "errors",
    "ExportDialog": "export_dialog", "export_annotations": "export_dialog", "export_links": "export_links",
    "choose_import_folder": "import_dialog", "choose_import_paths": "import_dialog", "import_articles": "import_dialog",
    "MergePreviewDialog": "merge_dialog", "load_teammate_database": "merge_dialog", "share_my_database": "merge_dialog",
    "NoteDialog": "note_dialog", "ask_note": "note_dialog",
    "CANCELLED": "progress", "run_with_progress": "progress",
    "show_shortcuts": "shortcuts",
    "UrlDialog": "url_dialog", "import_from_url": "url_dialog",
    "TagManagerDialog": "tag_manager",
    "build_waiting_box": "waiting_changes", "quit_with_changes_waiting": "waiting_changes",
    "WriteFailureDialog": "write_failure", "save_copy_elsewhere": "write_failure", "show_write_failure": "write_failure",
}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str):
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_MODULE_OF[name]}", __name__), name)
    globals()[name] = value  # once found, a plain attribute
    return value
