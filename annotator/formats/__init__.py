"""File formats: readers that turn a file into article records, writers that turn annotation records into a file.

Each reader or writer is one module and a function of plain records (``records.py``) and files: none sees a
Session, a database or an ORM object, so a new format is written and tested without one. ``registry.py`` lists
them: readers by file suffix, writers by name. The importer and the export do the database side and the checks
on files; the CLI and the app's dialogs offer whatever the registry holds.
"""
