"""Which formats there are: readers by file suffix, writers by name. Plain dicts; add a format by adding a line.

A reader is ``read(source: Source) -> ArticleText`` (it raises ImportFileError with a one-line reason); a writer
is ``write(handle: BinaryIO, batches: Iterable[ExportBatch], *, spreadsheet_safe: bool) -> int`` (rows written);
one registered with ``wants_context=True`` is also given ``context=`` an ExportContext (records.py): the tags and
their colours, the links among the exported annotations, the articles' metadata and the coverage matrix.
Neither touches the database or checks where the file is: the importer and the export do that.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePath

from ..errors import NotFoundError
from ..rules import safe_repr
from . import csv_writer, docx_reader, html_reader, jsonl_writer, markdown_reader, pdf_reader, text_reader, xlsx_writer
from .project_records import ProjectData
from .qdpx_reader import read as read_qdpx
from .qdpx_writer import write as write_qdpx
from .records import ArticleText, Source
from .w3c_reader import read as read_w3c
from .w3c_writer import write as write_w3c


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
    wants_context: bool = False  # True: write() also takes context=ExportContext (annotator/export.py builds it)


def _by_suffix(*readers: Reader) -> dict[str, Reader]:
    return {suffix: reader for reader in readers for suffix in reader.suffixes}


# In the order the CLI's help, the messages and the file dialogs list them.
READERS: dict[str, Reader] = _by_suffix(
    Reader("text", "plain-text", (".txt",), text_reader.read),
    Reader("markdown", "Markdown", (".md",), markdown_reader.read),
    Reader("html", "web page", (".html", ".htm"), html_reader.read),
    Reader("docx", "Word", (".docx",), docx_reader.read),
    Reader("pdf", "PDF", (".pdf",), pdf_reader.read),
)
WRITERS: dict[str, Writer] = {
    "csv": Writer("csv", "CSV", ".csv", csv_writer.write),
    "xlsx": Writer("xlsx", "Excel workbook", ".xlsx", xlsx_writer.write, wants_context=True),
    "jsonl": Writer("jsonl", "JSON Lines", ".jsonl", jsonl_writer.write),
    "qdpx": Writer("qdpx", "REFI-QDA project", ".qdpx", write_qdpx, wants_context=True),
    "w3c": Writer("w3c", "W3C Web Annotation", ".jsonld", write_w3c, wants_context=True),
}
DEFAULT_WRITER = "csv"  # for a file name whose suffix no writer claims (an export always writes something)


@dataclass(frozen=True)
class ProjectReader:
    """A reader of whole projects (articles, tags, annotations, links): ``read(source) -> ProjectData``; the
    importer stores what it returns with project_import.ImportProject."""

    name: str  # "qdpx"
    label: str  # "REFI-QDA project"
    suffixes: tuple[str, ...]
    read: Callable[[Source], ProjectData]


PROJECT_READERS: dict[str, ProjectReader] = {
    reader_suffix: reader for reader in (
        ProjectReader("qdpx", "REFI-QDA project", (".qdpx",), read_qdpx),
        ProjectReader("w3c", "W3C Web Annotation", (".jsonld",), read_w3c),
    ) for reader_suffix in reader.suffixes
}


def project_suffixes() -> tuple[str, ...]:
    """Every suffix a project reader takes: (".qdpx", ".jsonld")."""
    return tuple(PROJECT_READERS)


def project_reader_for_path(path: str | PurePath) -> ProjectReader | None:
    """The project reader for ``path``'s suffix (any case), or None."""
    return PROJECT_READERS.get(PurePath(path).suffix.lower())


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

