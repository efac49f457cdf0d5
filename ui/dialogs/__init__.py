"""The desktop app's dialogs. Each works through the AppController; none touches storage directly."""

from .analyst_dialog import AnalystDialog, ask_analyst_name
from .errors import install_excepthook, show_error
from .export_dialog import ExportDialog, export_annotations
from .import_dialog import choose_import_folder, choose_import_paths, import_articles
from .merge_dialog import MergePreviewDialog, load_teammate_database, share_my_database
from .progress import CANCELLED, run_with_progress
from .shortcuts import show_shortcuts
from .tag_manager import TagManagerDialog
from .write_failure import WriteFailureDialog, save_copy_elsewhere, show_write_failure

__all__ = [
    "CANCELLED", "AnalystDialog", "ExportDialog", "MergePreviewDialog", "TagManagerDialog", "WriteFailureDialog",
    "ask_analyst_name", "choose_import_folder", "choose_import_paths", "export_annotations", "import_articles",
    "install_excepthook", "load_teammate_database", "run_with_progress", "save_copy_elsewhere",
    "share_my_database", "show_error", "show_shortcuts", "show_write_failure",
]
