"""Importing article files and folders.

Files are found and read here, and decoded by the reader the registry gives for their suffix
(annotator/formats: plain text and Markdown today); a bad file gets a one-line reason and the
rest go on. The good ones are then inserted by one ImportArticles command, in one transaction,
so nothing half-written remains.

A folder may hold an ``articles.json`` manifest giving each file's metadata:
``[{"file": "x.txt", "title": "...", "outlet": "...", "published": "2017-05-16", "url": "..."}]``.
Every value is held to annotator/rules.py. A file whose entry breaks a rule is not imported (its line
in the report names the field), and a manifest that cannot be used stops its folder's files: an
article imported without its metadata could not be imported again with it (the same text is a
duplicate), so the analyst fixes the manifest and imports once, completely.

An imported folder is hostile until checked: links inside it are never followed (an explicitly named
file or folder is: the analyst chose it), only regular files are read, and each file is opened once and
checked by (device, inode) against what the walk saw, so a file swapped for a link, a FIFO or a device
between the two is refused, never read.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath

from sqlalchemy import delete, insert, select

from .commands import Changes, Command
from .db import Database
from .errors import ImportFileError, InvalidValueError
from .formats.records import ArticleText, Source  # ArticleText is imported from here too
from .formats.registry import describe_reader_suffixes, reader_for_path
from .formats.text_reader import CONTROL_CHARACTERS
from .models import Article, new_uuid, utc_now
from .rules import (
    check_outlet,
    check_published,
    check_source_path,
    check_title,
    check_url,
    printable,
)

MANIFEST_NAME = "articles.json"
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_MANIFEST_BYTES = 64 * 1024 * 1024

Progress = Callable[[int, int, str], bool]  # (done, total, current name) -> keep going?
PathLike = str | bytes | os.PathLike

_READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC  # O_NONBLOCK: a FIFO never blocks the open
_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"))


@dataclass(frozen=True)
class ImportProblem:
    path: str  # shown_path(): valid text, no control characters; print it through rules.printable
    reason: str

    def __str__(self) -> str:
        return f"{printable(self.path)}: {self.reason}"


@dataclass
class ImportReport:
    added: list[tuple[int, str]] = field(default_factory=list)  # (article id, title)
    duplicates: list[str] = field(default_factory=list)  # paths whose text was already there
    problems: list[ImportProblem] = field(default_factory=list)
    cancelled: bool = False


@dataclass(frozen=True)
class FoundFile:
    """An article file the walk found: read later by ``path``, and only if it is still ``identity``."""

    path: Path  # the real path (a name that is not valid UTF-8 keeps its bytes as surrogate escapes)
    shown: str  # the path as text, for the report and ``source_path``
    identity: tuple[int, int]  # (device, inode) when found
    follow: bool  # named by the analyst: a link to it is followed


def shown_path(path: PathLike) -> str:
    r"""``path`` as text that can be stored and printed: bytes that are not UTF-8 and control
    characters are written ``\xNN`` (``caf\xe9.txt``, ``a\x0ab.txt``)."""
    text = os.fsencode(path).decode("utf-8", "backslashreplace")
    return CONTROL_CHARACTERS.sub(lambda found: f"\\x{ord(found.group()):02x}", text)


def _why(exc: OSError) -> str:
    return exc.strerror or "unknown error"  # never str(exc): it holds the raw path


def _is_article_name(name: str) -> bool:
    return reader_for_path(name) is not None


def _kind(mode: int) -> str:
    return next((kind for test, kind in _KINDS if test(mode)), "a special file")


# --- finding files -----------------------------------------------------------------------------


def collect_files(paths: Iterable[PathLike]) -> tuple[list[FoundFile], list[ImportProblem]]:
    """Expand folders (recursively) into article files; explicit files are taken as given."""
    files: list[FoundFile] = []
    problems: list[ImportProblem] = []
    for raw in paths:
        path = Path(os.fsdecode(raw))
        try:
            info = os.stat(path)  # named by the analyst: a link is followed
        except FileNotFoundError:
            problems.append(ImportProblem(shown_path(path), "no such file or folder"))
            continue
        except OSError as exc:
            problems.append(ImportProblem(shown_path(path), f"cannot be read ({_why(exc)})"))
            continue
        if stat.S_ISDIR(info.st_mode):
            files.extend(_walk(path, info, problems))
        elif not _is_article_name(path.name):
            problems.append(ImportProblem(shown_path(path), f"not a {describe_reader_suffixes()} file"))
        elif stat.S_ISREG(info.st_mode):
            files.append(FoundFile(path, shown_path(path), (info.st_dev, info.st_ino), follow=True))
        else:
            problems.append(ImportProblem(shown_path(path), f"skipped: {_kind(info.st_mode)}, not a regular file"))
    return files, problems


def _walk(root: Path, info: os.stat_result, problems: list[ImportProblem]) -> list[FoundFile]:
    """Article files under ``root``, sorted by path; links are not followed and each folder is visited once."""
    found: list[FoundFile] = []
    seen = {(info.st_dev, info.st_ino)}
    folders = [root]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as entries:
                listed = list(entries)
        except OSError as exc:
            problems.append(ImportProblem(shown_path(folder), f"folder skipped: it cannot be read ({_why(exc)})"))
            continue
        for entry in listed:
            _visit(entry, found, folders, seen, problems)
    return sorted(found, key=lambda f: f.path)


def _visit(entry: os.DirEntry, found: list[FoundFile], folders: list[Path], seen: set[tuple[int, int]],
           problems: list[ImportProblem]) -> None:
    path = Path(entry.path)
    article = _is_article_name(entry.name)
    try:
        info = entry.stat(follow_symlinks=False)
    except OSError as exc:
        if article:
            problems.append(ImportProblem(shown_path(path), f"cannot be read ({_why(exc)})"))
        return
    identity = (info.st_dev, info.st_ino)
    if stat.S_ISDIR(info.st_mode):
        if identity not in seen:  # a bind mount can show a folder inside itself
            seen.add(identity)
            folders.append(path)
    elif stat.S_ISLNK(info.st_mode):
        if article or _links_to_folder(path):
            problems.append(ImportProblem(
                shown_path(path), "skipped: a symbolic link (links inside an imported folder are not followed)"))
    elif not article:
        return
    elif stat.S_ISREG(info.st_mode):
        found.append(FoundFile(path, shown_path(path), identity, follow=False))
    else:
        problems.append(ImportProblem(shown_path(path), f"skipped: {_kind(info.st_mode)}, not a regular file"))


def _links_to_folder(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)  # stat only: nothing at the far end is opened
    except OSError:
        return False


# --- reading files -------------------------------------------------------------------------------


def _open_checked(path: Path, identity: tuple[int, int] | None, follow: bool, limit: int) -> tuple[int, int]:
    """Open ``path`` once and check the descriptor: (fd, size) of a regular file of at most ``limit`` bytes."""
    try:
        fd = os.open(path, _READ_FLAGS | (0 if follow else os.O_NOFOLLOW))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ImportFileError(
                "skipped: it is a symbolic link (links inside an imported folder are not followed)") from None
        raise ImportFileError(f"cannot be read ({_why(exc)})") from None
    try:
        info = os.fstat(fd)
        if identity is not None and (info.st_dev, info.st_ino) != identity:
            raise ImportFileError("skipped: it was replaced by another file while it was being imported")
        if not stat.S_ISREG(info.st_mode):
            raise ImportFileError(f"skipped: {_kind(info.st_mode)}, not a regular file")
        if info.st_size > limit:
            raise ImportFileError(
                f"the file is too large ({info.st_size // 1_048_576} MB; the limit is {limit // 1_048_576} MB)")
    except BaseException:
        os.close(fd)
        raise
    return fd, info.st_size


def _read_fd(fd: int, size: int, limit: int) -> bytearray:
    """Read the whole file into one buffer of its size (plus whatever it grew by, up to ``limit``)."""
    data = bytearray(size)
    with memoryview(data) as view:
        done = 0
        while done < size and (count := os.readv(fd, [view[done:]])):
            done += count
    del data[done:]  # it shrank
    while chunk := os.read(fd, 1 << 20):  # it grew, or reports no size (/proc)
        data += chunk
        if len(data) > limit:
            raise ImportFileError(f"the file is too large (over {limit // 1_048_576} MB, the limit)")
    return data


def _read_file(path: Path, identity: tuple[int, int] | None, follow: bool, limit: int) -> bytearray:
    fd, size = _open_checked(path, identity, follow, limit)
    try:
        return _read_fd(fd, size, limit)
    except OSError as exc:
        raise ImportFileError(f"cannot be read ({_why(exc)})") from None
    finally:
        os.close(fd)


def read_article(found: FoundFile, entry: dict | None = None) -> ArticleText:
    """Read one article file with the reader for its suffix, or raise ImportFileError with the reason.

    ``entry`` is the file's manifest entry; its values are checked before the file is read, and
    each one given replaces what the reader found (the title it guessed, say).
    """
    meta = _entry_values(entry)
    try:
        source_path = check_source_path(found.shown)
    except InvalidValueError as exc:
        raise ImportFileError(str(exc)) from None
    reader = reader_for_path(found.path)
    if reader is None:  # collect_files finds only files a reader takes
        raise ImportFileError(f"not a {describe_reader_suffixes()} file")
    # The reader asks for the bytes (once, checked against the walk) and holds no reference to them.
    article = reader.read(Source(found.shown, lambda: _read_file(found.path, found.identity, found.follow,
                                                                 MAX_FILE_BYTES)))
    return replace(article, title=meta["title"] or article.title, outlet=meta["outlet"] or article.outlet,
                   published=meta["published"] or article.published, url=meta["url"] or article.url,
                   source_path=source_path)


def _entry_values(entry: dict | None) -> dict:
    """The manifest's values for one file, each held to its rule; ImportFileError names the field."""
    entry = entry or {}
    title, outlet = entry.get("title"), entry.get("outlet")
    try:
        return dict(
            title=None if title is None or title == "" else check_title(title),
            outlet="" if outlet is None or outlet == "" else check_outlet(outlet),
            published=check_published(entry.get("published")),
            url=check_url(entry.get("url")),
        )
    except InvalidValueError as exc:
        raise ImportFileError(f"{MANIFEST_NAME}: {exc}") from None


def load_manifest(folder: Path) -> dict[str, dict]:
    """``folder``'s articles.json entries by file name ({} if it has none), or ImportFileError saying
    why it cannot be used. It is read like an article file: no link followed, a regular file only."""
    path = folder / MANIFEST_NAME
    if not os.path.lexists(path):
        return {}
    try:
        data = _read_file(path, None, False, MAX_MANIFEST_BYTES)
    except ImportFileError as exc:
        raise ImportFileError(f"cannot be used: {exc}") from None
    try:
        entries = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ImportFileError("cannot be used: it is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ImportFileError(
            f"cannot be used: it is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    except (ValueError, RecursionError):
        raise ImportFileError("cannot be used: it is not valid JSON") from None
    if not isinstance(entries, list):
        raise ImportFileError('cannot be used: it is not a list of entries such as [{"file": "a.txt", ...}]')
    by_name: dict[str, dict] = {}
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or type(entry.get("file")) is not str:
            raise ImportFileError(f'cannot be used: entry {number} is not an object with a "file" name')
        if entry["file"] in by_name:
            raise ImportFileError(f"cannot be used: it lists the file {entry['file']!r} twice")
        by_name[entry["file"]] = entry
    return by_name


def read_articles(paths: Iterable[PathLike], progress: Progress | None = None) -> tuple[list[ArticleText], ImportReport]:
    files, problems = collect_files(paths)
    report = ImportReport(problems=problems)
    manifests: dict[Path, dict[str, dict] | None] = {}  # None: the folder's manifest cannot be used
    texts: list[ArticleText] = []
    for done, found in enumerate(files):
        if progress is not None and not progress(done, len(files), PurePath(found.shown).name):
            report.cancelled = True
            return [], report
        folder = found.path.parent
        if folder not in manifests:
            manifests[folder] = _manifest_or_problem(folder, report)
        manifest = manifests[folder]
        if manifest is None:
            report.problems.append(ImportProblem(found.shown, f"not imported: the {MANIFEST_NAME} of its folder "
                                                              "cannot be used"))
            continue
        try:
            texts.append(read_article(found, manifest.get(found.path.name)))
        except ImportFileError as exc:
            report.problems.append(ImportProblem(found.shown, str(exc)))
    if progress is not None:
        progress(len(files), len(files), "")
    return texts, report


def _manifest_or_problem(folder: Path, report: ImportReport) -> dict[str, dict] | None:
    try:
        return load_manifest(folder)
    except ImportFileError as exc:
        report.problems.append(ImportProblem(
            shown_path(folder / MANIFEST_NAME),
            f"{exc}; none of the files in its folder were imported: fix it or remove it, then import again"))
        return None


# --- storing -----------------------------------------------------------------------------------


class ImportArticles(Command):
    """Insert decoded articles; texts already in the database (same SHA-256) are skipped.

    Each article's metadata is held to annotator/rules.py here too; its text was held to
    rules.check_article_text where it was decoded (decode_bytes), a check too slow to repeat on 200 MB.
    """

    def __init__(self, articles: list[ArticleText], report: ImportReport | None = None):
        super().__init__()
        self.articles = articles
        self.report = report or ImportReport()
        self._rows: list[dict] | None = None
        self.label = "Import article" if len(articles) == 1 else f"Import {len(articles)} articles"

    def apply(self, session) -> Changes:
        """Insert the new texts; when every one was already in the library (reported as duplicates) the Changes
        are empty, and ``changed_nothing`` is True."""
        if self._rows is None:
            self._rows = self._new_rows(session)
        if self._rows:
            session.execute(insert(Article), self._rows)
        ids = session.execute(
            select(Article.id, Article.title).where(Article.uuid.in_([r["uuid"] for r in self._rows])).order_by(Article.id)
        ).all()
        self.report.added = [(row.id, row.title) for row in ids]
        return Changes(articles_added=frozenset(row.id for row in ids))

    def revert(self, session) -> Changes:
        uuids = [r["uuid"] for r in self._rows or []]
        ids = frozenset(session.scalars(select(Article.id).where(Article.uuid.in_(uuids))))
        session.execute(delete(Article).where(Article.uuid.in_(uuids)))
        # Annotations made on them since go with them (ON DELETE CASCADE): which ones, the views work out.
        return Changes(articles_removed=ids, annotated_articles=ids, annotations_exact=False)

    def _new_rows(self, session) -> list[dict]:
        for article in self.articles:
            _check_metadata(article)
        digests = [article.sha256 for article in self.articles]
        existing = set(session.scalars(select(Article.sha256).where(Article.sha256.in_(digests))))
        rows = []
        now = utc_now()
        for article, digest in zip(self.articles, digests, strict=True):
            if digest in existing:
                self.report.duplicates.append(article.source_path or article.title)
                continue
            existing.add(digest)
            rows.append(dict(
                uuid=new_uuid(), title=article.title, outlet=article.outlet, url=article.url,
                published=article.published, text=article.text, sha256=digest,
                source_path=article.source_path, imported_at=now,
            ))
        return rows


def _check_metadata(article: ArticleText) -> None:
    check_title(article.title)
    check_outlet(article.outlet)
    check_url(article.url)
    check_published(article.published)
    check_source_path(article.source_path)


def import_paths(db: Database, paths: Iterable[PathLike], progress: Progress | None = None) -> ImportReport:
    """Read, decode and import files and folders in one go (for the CLI and scripts)."""
    texts, report = read_articles(paths, progress)
    if report.cancelled:
        return report
    ImportArticles(texts, report).do(db)
    return report
