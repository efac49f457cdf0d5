"""Errors an analyst can read: every message says what happened and, where it helps, what to do."""


class AnnotatorError(Exception):
    """Base for every error the core reports to people (CLI prints it as ``error: ...``)."""


class NotOurDatabaseError(AnnotatorError):
    pass


class NewerSchemaError(AnnotatorError):
    pass


class CorruptDatabaseError(AnnotatorError):
    pass


class DatabaseBusyError(AnnotatorError):
    pass


class SpanError(AnnotatorError):
    pass


class ConflictError(AnnotatorError):
    """The change clashes with what is already there (a taken name, a duplicate)."""


class DuplicateAnnotationError(ConflictError):
    pass


class NotFoundError(AnnotatorError):
    pass


class ImportFileError(AnnotatorError):
    pass


class MergeRefusedError(AnnotatorError):
    pass


class DatabaseWriteError(AnnotatorError):
    """The change could not be saved (read-only file, full disk, file gone); nothing of it was written."""


class InvalidValueError(AnnotatorError):
    """A value breaks a rule of annotator/rules.py (too long, a control character, a malformed date…)."""
