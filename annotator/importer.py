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
duplicate), so the analyst fixes the manifest and imports once, completely. Entries are matched to file names
exactly, else in Unicode's composed form (macOS writes names decomposed); an entry that matches no file of a
folder imported whole is reported, and files that cannot be told apart that way are held back.

Files are found and read as hostile input by annotator/import_files.py.
"""

from __future__ import annotations

import json
import os
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath

from sqlalchemy import delete, insert, select

from .commands import Changes, Command
from .db import Database
from .errors import ImportFileError, InvalidValueError
from .formats.records import ArticleText, Source  # ArticleText is imported from here too
from .formats.registry import describe_reader_suffixes, project_reader_for_path, reader_for_path
from .import_files import (  # ImportProblem, FoundFile and collect_files are imported from here too
    FoundFile,
    ImportProblem,
    PathLike,
    Protected,
    collect_files,
    read_checked_file,
    shown_path,
)
from .models import Article, new_uuid, utc_now
from .progress import Progress
from .project_import import ImportProject, ProjectData
from .rules import (
    ARTICLE_TEXT_MAX,
    URL_MAX,
    check_outlet,
    check_published,
    check_source_path,
    check_title,
    check_url,
    safe_repr,
)
from .url_fetch import is_url, read_url

MANIFEST_NAME = "articles.json"
MAX_FILE_BYTES = ARTICLE_TEXT_MAX  # the rules bound a text by the same number: a file of n bytes decodes to <= n characters
MAX_MANIFEST_BYTES = 64 * 1024 * 1024

@dataclass
class ImportReport:
    added: list[tuple[int, str]] = field(default_factory=list)  # (article id, title)
    duplicates: list[str] = field(default_factory=list)  # paths whose text was already there
    problems: list[ImportProblem] = field(default_factory=list)
    cancelled: bool = False
    # Project files (registry.PROJECT_READERS: .qdpx): read whole, stored by ImportArticles with ImportProject;
    # ``project_imports`` are those commands once done, each with its ``report`` of what came in.
    projects: list[tuple[str, ProjectData]] = field(default_factory=list)  # (path shown, what it holds)
    project_imports: list[ImportProject] = field(default_factory=list)


def read_article(found: FoundFile, entry: dict | None = None, protected: Protected = None) -> ArticleText:
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
    article = reader.read(Source(found.shown, lambda: read_checked_file(found.path, found.identity, found.follow,
                                                                 MAX_FILE_BYTES, "an article", protected)))
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


def load_manifest(folder: Path, protected: Protected = None) -> dict[str, dict]:
    """``folder``'s articles.json entries by file name ({} if it has none), or ImportFileError saying
    why it cannot be used. It is read like an article file: no link followed, a regular file only."""
    path = folder / MANIFEST_NAME
    if not os.path.lexists(path):
        return {}
    try:
        data = read_checked_file(path, None, False, MAX_MANIFEST_BYTES, "a list of articles", protected)
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


def read_articles(paths: Iterable[PathLike], progress: Progress | None = None,
                  protected: Protected = None) -> tuple[list[ArticleText], ImportReport]:
    """Read and decode the article files of ``paths``; the report says what was left out and why.

    ``protected`` claims files of the open database that ``is_open_in_this_process`` does not list (pass
    ``Database.holds``, which knows its ``-shm``): they are refused unopened, like the database itself.
    """
    paths = list(paths)
    urls = [path for path in paths if is_url(path)]  # web addresses (annotator/url_fetch.py), fetched after the files
    projects = [p for p in paths if not is_url(p) and project_reader_for_path(os.fsdecode(p)) is not None
                and os.path.isfile(p)]
    files, problems = collect_files([path for path in paths if not is_url(path) and path not in projects])
    report = ImportReport(problems=problems)
    for path in projects:
        _read_project(Path(os.fsdecode(path)), report, protected)
    entries, held = _manifest_entries(files, report, protected)
    texts: list[ArticleText] = []
    for done, found in enumerate(files):
        if progress is not None and not progress(done, len(files), PurePath(found.shown).name):
            report.cancelled = True
            return [], report
        if found.path in held:
            report.problems.append(ImportProblem(found.shown, held[found.path]))
            continue
        try:
            texts.append(read_article(found, entries.get(found.path), protected))
        except ImportFileError as exc:
            report.problems.append(ImportProblem(found.shown, str(exc)))
    for url in urls:
        if progress is not None and not progress(len(files), len(files) + len(urls), url[:80]):
            report.cancelled = True
            return [], report
        try:
            texts.append(read_url(url))
        except ImportFileError as exc:
            report.problems.append(ImportProblem(shown_path(url[:URL_MAX]), str(exc)))
    if progress is not None:
        progress(len(files), len(files), "")
    return texts, report


def _read_project(path: Path, report: ImportReport, protected: Protected) -> None:
    """Read one project file (a .qdpx) into ``report.projects``, or say in ``report.problems`` why not."""
    reader = project_reader_for_path(path)
    shown = shown_path(path)
    try:
        data = reader.read(Source(shown, lambda: read_checked_file(path, None, True, MAX_FILE_BYTES, "a project",
                                                                   protected)))
    except ImportFileError as exc:
        report.problems.append(ImportProblem(shown, str(exc)))
        return
    report.projects.append((shown, data))


def _manifest_entries(files: list[FoundFile], report: ImportReport,
                      protected: Protected) -> tuple[dict[Path, dict], dict[Path, str]]:
    """Each file's manifest entry, and why a file is held back; what is wrong with a manifest goes in ``report``."""
    folders: dict[Path, list[FoundFile]] = {}
    for found in files:
        folders.setdefault(found.path.parent, []).append(found)
    entries: dict[Path, dict] = {}
    held: dict[Path, str] = {}
    for folder, found in folders.items():
        shown = shown_path(folder / MANIFEST_NAME)
        try:
            manifest = load_manifest(folder, protected)
        except ImportFileError as exc:
            report.problems.append(ImportProblem(
                shown, f"{exc}; none of the files in its folder were imported: fix it or remove it, then import again"))
            held.update((f.path, f"not imported: the {MANIFEST_NAME} of its folder cannot be used") for f in found)
            continue
        paths = {f.path.name: f.path for f in found}
        matched, ambiguous, unused = match_entries(manifest, paths)
        entries.update((paths[name], entry) for name, entry in matched.items())
        held.update((paths[name], reason) for name, reason in ambiguous.items())
        if any(not f.follow for f in found):  # the folder was imported whole, so an entry for no file is a slip
            report.problems.extend(
                ImportProblem(shown, f"names {safe_repr(name)}, which matches no article file in the folder")
                for name in unused)
    return entries, held


def match_entries(manifest: dict[str, dict],
                  names: Iterable[str]) -> tuple[dict[str, dict], dict[str, str], list[str]]:
    """Match a folder's manifest to its file names: (entry by file name, reason by held-back file name, the
    names of entries that match no file).

    An exact name wins; otherwise names are compared in Unicode's composed form (NFC): macOS writes ``café.txt``
    decomposed (``e`` + U+0301) where an editor types it composed. Where even so it cannot be told which entry
    is which file's, those files are held back: imported without their metadata, they could not be imported
    again with it (the same text is a duplicate).
    """
    names = list(names)
    matched = {name: manifest[name] for name in names if name in manifest}
    files: dict[str, list[str]] = {}
    for name in names:
        if name not in matched:
            files.setdefault(unicodedata.normalize("NFC", name), []).append(name)
    keys: dict[str, list[str]] = {}
    for key in manifest:
        if key not in matched:
            keys.setdefault(unicodedata.normalize("NFC", key), []).append(key)
    held: dict[str, str] = {}
    unused: list[str] = []
    for form, group in keys.items():
        found = files.get(form, [])
        if not found:
            unused.extend(group)
        elif len(found) == 1 and len(group) == 1:
            matched[found[0]] = manifest[group[0]]
        else:
            held.update(dict.fromkeys(found, (
                f"not imported: in {MANIFEST_NAME}, {', '.join(map(safe_repr, group))} could be this file's entry "
                "or another's (the names differ only in how accents are encoded); rename the files or fix the "
                "entries, then import again")))
    return matched, held, unused


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
        if self.report.projects:
            self.label = "Import project" if len(self.report.projects) == 1 else "Import projects"

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
        changes = Changes(articles_added=frozenset(row.id for row in ids))
        if self.report.projects and not self.report.project_imports:
            self.report.project_imports = [ImportProject(data) for _shown, data in self.report.projects]
        for command in self.report.project_imports:  # the same commands on a redo: the same UUIDs and times
            changes |= command.apply(session)
        return changes

    def revert(self, session) -> Changes:
        changes = Changes()
        for command in reversed(self.report.project_imports):
            changes |= command.revert(session)
        uuids = [r["uuid"] for r in self._rows or []]
        ids = frozenset(session.scalars(select(Article.id).where(Article.uuid.in_(uuids))))
        session.execute(delete(Article).where(Article.uuid.in_(uuids)))
        # Annotations made on them since go with them (ON DELETE CASCADE): which ones, the views work out.
        return changes | Changes(articles_removed=ids, annotated_articles=ids, annotations_exact=False)

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
    texts, report = read_articles(paths, progress, db.holds)
    if report.cancelled:
        return report
    ImportArticles(texts, report).do(db)
    return report
