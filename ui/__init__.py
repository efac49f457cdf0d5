"""PySide6 views over the annotator core."""

# The one name of the app: window titles, Qt settings, and the user's data and log folders.
APP_NAME = "Spanner"
