"""PySide6 views over the annotator core."""
