"""Which formats there are: readers by file suffix, writers by name. Plain dicts; add a format by adding a line.

A reader is ``read(source: Source) -> ArticleText`` (it raises ImportFileError with a one-line reason); a writer
is ``write(handle: BinaryIO, batches: Iterable[ExportBatch], *, spreadsheet_safe: bool) -> int`` (rows written).
Neither touches the database or checks where the file is: the importer and the export do that.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePath

from ..errors import NotFoundError
from ..rules import safe_repr
from . import csv_writer, markdown_reader, text_reader
from .records import ArticleText, Source


@dataclass(frozen=True)
class Reader:
    name: str  # "text"
    label: str  # how the import summary names these files: "plain-text"
    suffixes: tuple[str, ...]  # lower case, with the dot: (".txt",)
    read: Callable[[Source], ArticleText]


@dataclass(frozen=True)
class Writer:
    name: str  # what `annotator export --format` takes: "csv"
    label: str  # "CSV": "export annotations to CSV", "CSV files (*.csv)", "the CSV"
    suffix: str  # the file name's ending, with the dot: ".csv"
    write: Callable[..., int]  # (handle: BinaryIO, batches: Iterable[ExportBatch], *, spreadsheet_safe) -> rows


def _by_suffix(*readers: Reader) -> dict[str, Reader]:
    return {suffix: reader for reader in readers for suffix in reader.suffixes}


# In the order the CLI's help, the messages and the file dialogs list them.
READERS: dict[str, Reader] = _by_suffix(
    Reader("text", "plain-text", (".txt",), text_reader.read),
    Reader("markdown", "Markdown", (".md",), markdown_reader.read),
)
WRITERS: dict[str, Writer] = {
    "csv": Writer("csv", "CSV", ".csv", csv_writer.write),
}
DEFAULT_WRITER = "csv"  # for a file name whose suffix no writer claims (an export always writes something)


def readers() -> tuple[Reader, ...]:
    return tuple(dict.fromkeys(READERS.values()))  # a reader of two suffixes once


def reader_for_path(path: str | PurePath) -> Reader | None:
    """The reader for ``path``'s suffix (any case), or None if no reader takes it."""
    return READERS.get(PurePath(path).suffix.lower())


def reader_suffixes() -> tuple[str, ...]:
    """Every suffix a reader takes, in the registry's order: (".txt", ".md")."""
    return tuple(READERS)


def describe_reader_suffixes() -> str:
    """The suffixes for a sentence: ".txt or .md" (".txt, .md or .html" for three)."""
    return _listed(reader_suffixes(), "or")


def describe_readers() -> str:
    """The kinds of file for a sentence: "plain-text (.txt) and Markdown (.md)"."""
    return _listed([f"{reader.label} ({', '.join(reader.suffixes)})" for reader in readers()], "and")


def _listed(items: Sequence[str], word: str) -> str:
    return f"{', '.join(items[:-1])} {word} {items[-1]}" if len(items) > 1 else "".join(items)


def writers() -> tuple[Writer, ...]:
    return tuple(WRITERS.values())


def writer_names() -> tuple[str, ...]:
    return tuple(WRITERS)


def writer_by_name(name: str) -> Writer:
    """The writer called ``name`` (any case), or NotFoundError listing the names there are."""
    writer = WRITERS.get(name.lower()) if isinstance(name, str) else None
    if writer is None:
        shown = safe_repr(name) if isinstance(name, str) else repr(name)
        raise NotFoundError(f"there is no export format {shown}; the formats are: {', '.join(writer_names())}")
    return writer


def writer_for_path(path: str | PurePath) -> Writer:
    """The writer whose suffix ``path`` ends with (any case), else the default (CSV)."""
    suffix = PurePath(path).suffix.lower()
    return next((writer for writer in WRITERS.values() if writer.suffix == suffix), WRITERS[DEFAULT_WRITER])

