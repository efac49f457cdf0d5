"""Deterministic generated corpora for the benchmarks, cached under ``benchmarks/_work/``.

Everything is derived from a seed with ``random.Random(str)`` (seeded through
SHA-512, so independent of PYTHONHASHSEED): the same parameters always give the
same texts, UUIDs and spans. Texts are paragraphs of sentences made of common
English words with some non-ASCII words, CJK and emoji (astral characters, which
take two Qt positions) mixed in.

Databases are created with ``Database.open`` (so the schema, tags and headers are
the app's own) and filled with SQLAlchemy Core ``insert()`` executemany in one
transaction. Files are built under a temporary name and renamed when complete,
so an interrupted build is never mistaken for a cached one.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import shutil
import uuid
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path

from sqlalchemy import insert, select

from annotator.db import Database
from annotator.models import Annotation, Annotator, Article, Tag
from annotator.text import sha256_text

ROOT = Path(__file__).resolve().parent
WORK = ROOT / "_work"
REPO = ROOT.parent
SAMPLES_DIR = REPO / "data"
# Bump when the generator changes, so stale caches are not reused.
CORPUS_VERSION = 1
DEFAULT_SEED = 20240601

_COMMON = """
the of and to a in that is was he for it with as his on be at by i this had not are but from or have an they
which one you were her all she there would their we him been has when who will more no if out so said what up
its about into than them can only other new some could time these two may then do first any my now such like
our over man me even most made after also did many before must through back years where much your way well
down should because each just those people how too little state good very make world still own see men work
long get here between both life being under never day same another know while last might us great old year
off come since against go came right used take three government minister officials report said according
statement evidence allegation denied claims spokesperson ministry investigation sources satellite images
prison building facility military regime human rights group alleged accused reported confirmed rejected
international community security council sanctions embassy foreign press conference documents witnesses
testimony journalists analysts observers country region city border capital president administration
forces troops civilians detainees families victims survivors officials agency department committee
""".split()
_SPECIAL = """
café naïve Zürich São Paulo Ελλάδα Москва München Düsseldorf façade résumé coöperate Ærø Łódź İstanbul
北京 東京 서울 القاهرة दिल्ली 🙂 👍🏽 🇸🇾 📄 🔥 — – “quoted” ‘single’ … €100 ½ ¿qué? ¡sí! ß
""".split()
_WORDS = _COMMON + _SPECIAL
# Common words 40× as likely as a special one: about 1 word in 25 is non-ASCII.
_CUM_WEIGHTS = list(accumulate([40] * len(_COMMON) + [1] * len(_SPECIAL)))
_TIME0 = datetime(2024, 1, 1, tzinfo=UTC)

TAGS = ("allegation", "denial", "evidence", "context")  # the app's default tags
OUR_ANNOTATORS = ("amira", "björn", "chen")
TEAMMATE_ANNOTATORS = ("dolores", "émile")


def article_text(size: int, seed: int = DEFAULT_SEED, index: int = 0) -> str:
    """An article of about ``size`` characters: a title line, then paragraphs of sentences."""
    rng = random.Random(f"text:{seed}:{index}:{size}")
    words = rng.choices(_WORDS, cum_weights=_CUM_WEIGHTS, k=max(size // 5, 20))
    title = " ".join(words[:8]).capitalize()
    parts = [f"{title} {index}\n\n"]
    length = len(parts[0])
    position = 8
    paragraph: list[str] = []
    while length < size:
        count = rng.randint(8, 25)
        chunk = words[position:position + count]
        if len(chunk) < count:
            position = 8
            rng.shuffle(words)
            continue
        position += count
        sentence = " ".join(chunk)
        sentence = sentence[0].upper() + sentence[1:] + rng.choice(".....?!")
        paragraph.append(sentence)
        length += len(sentence) + 1
        if len(paragraph) >= rng.randint(3, 7):
            parts.append(" ".join(paragraph) + "\n\n")
            paragraph = []
    if paragraph:
        parts.append(" ".join(paragraph) + "\n")
    return "".join(parts)


def corpus_hash(texts: list[str]) -> str:
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _ready(path: Path) -> bool:
    return path.exists() and path.stat().st_size > 0


def _temp_for(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


# -- article folders ------------------------------------------------------------------------


def articles_folder(count: int, size: int, seed: int = DEFAULT_SEED) -> Path:
    """A folder of ``count`` .txt articles of about ``size`` characters each (cached)."""
    folder = WORK / f"articles_{count}x{size}_s{seed}_v{CORPUS_VERSION}"
    if (folder / ".complete").exists():
        return folder
    temp = _temp_for(folder)
    shutil.rmtree(temp, ignore_errors=True)
    temp.mkdir(parents=True)
    for index in range(count):
        (temp / f"article_{index:05d}.txt").write_text(article_text(size, seed, index), encoding="utf-8")
    (temp / ".complete").write_text("ok\n")
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(temp, folder)
    return folder


# -- databases --------------------------------------------------------------------------------

_WORD = re.compile(r"\S+")


def _spans(rng: random.Random, text: str, count: int) -> list[tuple[int, int]]:
    """``count`` random spans of 1–15 whole words (repeats possible; the caller dedupes)."""
    words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    n = len(words)
    out = []
    for _ in range(count):
        first = rng.randrange(n)
        last = min(n - 1, first + rng.randint(0, 14))
        out.append((words[first][0], words[last][1]))
    return out


def build_database(path: Path, *, n_articles: int, article_chars: int, n_annotations: int,
                   seed: int = DEFAULT_SEED, text_seed: int = DEFAULT_SEED,
                   annotators: tuple[str, ...] = OUR_ANNOTATORS) -> None:
    """Create ``path`` holding generated articles and annotations (overwrites it)."""
    _remove_db(path)
    rng = random.Random(f"db:{seed}:{n_articles}:{article_chars}:{n_annotations}")
    db = Database.open(path)
    try:
        with db.engine.connect() as conn:
            # Building a cache file: durability per commit is not needed.
            conn.connection.dbapi_connection.execute("PRAGMA synchronous = OFF")
            with conn.begin():
                texts = [article_text(article_chars, text_seed, index) for index in range(n_articles)]
                now = _TIME0
                conn.execute(insert(Article), [dict(
                    uuid=_uuid(rng), title=text.split("\n", 1)[0][:200], outlet=f"Outlet {i % 7}",
                    url=f"https://example.org/news/{i}", published=f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
                    text=text, sha256=sha256_text(text), source_path=f"/corpus/article_{i:05d}.txt", imported_at=now,
                ) for i, text in enumerate(texts)])
                article_ids = list(conn.scalars(select(Article.id).order_by(Article.id)))
                conn.execute(insert(Annotator), [{"name": name} for name in annotators])
                annotator_ids = list(conn.scalars(
                    select(Annotator.id).where(Annotator.name.in_(annotators)).order_by(Annotator.id)))
                tag_ids = list(conn.scalars(select(Tag.id).where(Tag.name.in_(TAGS)).order_by(Tag.position)))
                if n_annotations and n_articles:
                    _insert_annotations(conn, rng, texts, article_ids, tag_ids, annotator_ids, n_annotations)
    finally:
        db.close()


def _insert_annotations(conn, rng, texts, article_ids, tag_ids, annotator_ids, total: int) -> None:
    per_article = [total // len(texts) + (1 if i < total % len(texts) else 0) for i in range(len(texts))]
    notes = ["", "", "", "check the source", "see paragraph above", "quote — verbatim", "disputed 🙂"]
    batch: list[dict] = []
    for text, article_id, wanted in zip(texts, article_ids, per_article, strict=True):
        seen: set[tuple] = set()
        while len(seen) < wanted:
            for start, end in _spans(rng, text, wanted - len(seen)):
                key = (start, end, rng.choice(tag_ids), rng.choice(annotator_ids))
                if key in seen:
                    continue
                seen.add(key)
                when = _TIME0 + timedelta(seconds=rng.randrange(30_000_000), microseconds=rng.randrange(1_000_000))
                batch.append(dict(
                    uuid=_uuid(rng), article_id=article_id, start=key[0], end=key[1], tag_id=key[2],
                    annotator_id=key[3], note=rng.choice(notes), created_at=when, updated_at=when,
                ))
                if len(batch) >= 50_000:
                    conn.execute(insert(Annotation), batch)
                    batch = []
    if batch:
        conn.execute(insert(Annotation), batch)


def database(name: str, *, n_articles: int, article_chars: int, n_annotations: int, seed: int = DEFAULT_SEED,
             text_seed: int = DEFAULT_SEED, annotators: tuple[str, ...] = OUR_ANNOTATORS) -> Path:
    """A cached generated database; built on first use. Treat it as read-only (copy it to change it)."""
    key = f"{name}_{n_articles}x{article_chars}_{n_annotations}_s{seed}_t{text_seed}_{len(annotators)}a_v{CORPUS_VERSION}"
    path = WORK / f"{key}.db"
    if _ready(path) and not Path(f"{path}-wal").exists():
        return path
    WORK.mkdir(parents=True, exist_ok=True)
    temp = _temp_for(path)
    try:
        build_database(temp, n_articles=n_articles, article_chars=article_chars, n_annotations=n_annotations,
                       seed=seed, text_seed=text_seed, annotators=annotators)
        os.replace(temp, path)
    finally:
        _remove_db(temp)
    return path


def _remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def copy_database(source: Path, target: Path) -> Path:
    """A private copy of a cached database (no WAL beside it: the cache files are closed cleanly)."""
    _remove_db(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def samples_database() -> Path:
    """The app's sample articles (``data/``) imported into a fresh database (cached)."""
    from annotator.importer import import_paths

    stamp = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(SAMPLES_DIR.iterdir()) if p.is_file()))
    path = WORK / f"samples_{stamp.hexdigest()[:12]}.db"
    if _ready(path) and not Path(f"{path}-wal").exists():
        return path
    WORK.mkdir(parents=True, exist_ok=True)
    temp = _temp_for(path)
    _remove_db(temp)
    try:
        db = Database.open(temp)
        try:
            import_paths(db, [SAMPLES_DIR])
        finally:
            db.close()
        os.replace(temp, path)
    finally:
        _remove_db(temp)
    return path
