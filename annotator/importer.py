"""Importing article files and folders.

Files are read and decoded first (a bad file gets a one-line reason and the
rest go on); the good ones are then inserted by one ImportArticles command, in
one transaction, so nothing half-written remains.

A folder may hold an ``articles.json`` manifest giving each file's metadata:
``[{"file": "x.txt", "title": "...", "outlet": "...", "published": "2017-05-16", "url": "..."}]``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, insert, select

from .commands import Command
from .db import Database
from .errors import ImportFileError
from .models import Article, new_uuid, utc_now
from .text import decode_bytes, sha256_text

ARTICLE_SUFFIXES = {".txt", ".md"}
MANIFEST_NAME = "articles.json"
MAX_FILE_BYTES = 200 * 1024 * 1024
TITLE_LENGTH = 200

Progress = Callable[[int, int, str], bool]  # (done, total, current name) -> keep going?


@dataclass(frozen=True)
class ArticleText:
    text: str
    title: str
    outlet: str = ""
    published: str | None = None
    url: str | None = None
    source_path: str | None = None

    @property
    def sha256(self) -> str:
        return sha256_text(self.text)


@dataclass(frozen=True)
class ImportProblem:
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class ImportReport:
    added: list[tuple[int, str]] = field(default_factory=list)  # (article id, title)
    duplicates: list[str] = field(default_factory=list)  # paths whose text was already there
    problems: list[ImportProblem] = field(default_factory=list)
    cancelled: bool = False


def collect_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[ImportProblem]]:
    """Expand folders (recursively) into article files; explicit files are taken as given."""
    files: list[Path] = []
    problems: list[ImportProblem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in ARTICLE_SUFFIXES))
        elif path.is_file():
            if path.suffix.lower() in ARTICLE_SUFFIXES:
                files.append(path)
            else:
                problems.append(ImportProblem(str(path), "not a .txt or .md file"))
        else:
            problems.append(ImportProblem(str(path), "no such file or folder"))
    return files, problems


def read_article(path: Path, metadata: dict | None = None) -> ArticleText:
    """Read and decode one article file, or raise ImportFileError with the reason."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ImportFileError(f"the file is too large ({size // 1_048_576} MB; the limit is 200 MB)")
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"cannot be read ({exc.strerror or exc})") from exc
    text = decode_bytes(data)
    meta = metadata or {}
    return ArticleText(
        text=text,
        title=str(meta.get("title") or guess_title(text, path)),
        outlet=str(meta.get("outlet") or ""),
        published=meta.get("published"),
        url=meta.get("url"),
        source_path=str(path),
    )


def guess_title(text: str, path: Path) -> str:
    for line in text.split("\n"):
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:TITLE_LENGTH]
    return path.stem


def load_manifest(folder: Path) -> dict[str, dict]:
    manifest = folder / MANIFEST_NAME
    if not manifest.is_file():
        return {}
    try:
        entries = json.loads(manifest.read_text(encoding="utf-8"))
        return {entry["file"]: entry for entry in entries if isinstance(entry, dict) and "file" in entry}
    except (OSError, ValueError, TypeError):
        return {}


def read_articles(paths: Iterable[str | Path], progress: Progress | None = None) -> tuple[list[ArticleText], ImportReport]:
    files, problems = collect_files(paths)
    report = ImportReport(problems=problems)
    manifests: dict[Path, dict[str, dict]] = {}
    texts: list[ArticleText] = []
    for done, path in enumerate(files):
        if progress is not None and not progress(done, len(files), path.name):
            report.cancelled = True
            return [], report
        if path.parent not in manifests:
            manifests[path.parent] = load_manifest(path.parent)
        try:
            texts.append(read_article(path, manifests[path.parent].get(path.name)))
        except ImportFileError as exc:
            report.problems.append(ImportProblem(str(path), str(exc)))
    if progress is not None:
        progress(len(files), len(files), "")
    return texts, report


class ImportArticles(Command):
    """Insert decoded articles; texts already in the database (same SHA-256) are skipped."""

    touches = frozenset({"articles", "annotations"})

    def __init__(self, articles: list[ArticleText], report: ImportReport | None = None):
        super().__init__()
        self.articles = articles
        self.report = report or ImportReport()
        self._rows: list[dict] | None = None
        self.label = "Import article" if len(articles) == 1 else f"Import {len(articles)} articles"

    def do(self, db: Database) -> None:
        with db.transaction() as session:
            if self._rows is None:
                self._rows = self._new_rows(session)
            if self._rows:
                session.execute(insert(Article), self._rows)
            ids = session.execute(
                select(Article.id, Article.title).where(Article.uuid.in_([r["uuid"] for r in self._rows])).order_by(Article.id)
            ).all()
        self.report.added = [(row.id, row.title) for row in ids]
        self.affected_articles = {row.id for row in ids}

    def undo(self, db: Database) -> None:
        with db.transaction() as session:
            session.execute(delete(Article).where(Article.uuid.in_([r["uuid"] for r in self._rows or []])))

    def _new_rows(self, session) -> list[dict]:
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


def import_paths(db: Database, paths: Iterable[str | Path], progress: Progress | None = None) -> ImportReport:
    """Read, decode and import files and folders in one go (for the CLI and scripts)."""
    texts, report = read_articles(paths, progress)
    if report.cancelled:
        return report
    ImportArticles(texts, report).do(db)
    return report
