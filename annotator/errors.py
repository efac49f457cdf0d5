"""Errors an analyst can read: every message says what happened and, where it helps, what to do.

Errors about saving also carry a ``reason`` as a value, so a view chooses its advice from the reason, never
from the wording of the message.
"""

from enum import StrEnum


class SaveFailure(StrEnum):
    """Why a change could not be saved (``DatabaseWriteError.reason``, ``DatabaseBusyError.reason``)."""

    READ_ONLY = "read-only"  # the file or its folder cannot be written
    DISK_FULL = "disk-full"
    GONE = "gone"  # the file was deleted or moved while open
    BUSY = "busy"  # another program is writing; try again in a moment
    LOCKED = "locked"  # another program holds the file locked
    OFFLINE = "offline"  # the database's server cannot be reached (restarting, the network down)
    OTHER = "other"


class AnnotatorError(Exception):
    """Base for every error the core reports to people (CLI prints it as ``error: ...``)."""


class NotOurDatabaseError(AnnotatorError):
    pass


class NewerSchemaError(AnnotatorError):
    pass


class CorruptDatabaseError(AnnotatorError):
    pass


class DatabaseBusyError(AnnotatorError):
    def __init__(self, message: str, reason: SaveFailure = SaveFailure.BUSY):
        super().__init__(message)
        self.reason = reason


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

    def __init__(self, message: str, reason: SaveFailure = SaveFailure.OTHER):
        super().__init__(message)
        self.reason = reason
        # A server's commit whose answer was lost and that could not be asked about yet: its transaction id, for
        # ``Database.was_committed`` before a retry (a retry of a change that did commit would write it twice).
        self.unconfirmed: str | None = None


class DatabaseUnreachableError(AnnotatorError):
    """A read found the database's server unreachable (restarting, the network down); the next read reconnects."""


class InvalidValueError(AnnotatorError):
    """A value breaks a rule of annotator/rules.py (too long, a control character, a malformed date…)."""
