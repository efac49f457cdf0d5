"""W14: a team server (PostgreSQL, started here with tests/pg_server.TestServer, data under /tmp).

* writers: 10 processes each add 1,000 annotations, one command (one ``Workspace.run``) each, all at once, as the
  database's owner (an admin, so each writer may record its own analyst name): throughput, p95 latency of one
  command, and a count afterwards that must be exactly 10,000 (nothing lost, nothing doubled);
* live: alice adds an annotation, bob's client (another connection) learns of it and reads it: p95 ≤ 2 s;
* open: ``Workspace.open`` + the 5 MB article + its 50,000 annotations from the server against the same from the
  SQLite file (the W2 corpus, copied to the server untimed), best of 3 each: ratio ≤ 1.5×.
"""

from __future__ import annotations

import multiprocessing
import re
import select
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy import select as sql_select

from . import corpus
from .common import Row, not_run, p95

WRITERS = {False: (10, 1_000), True: (3, 100)}  # (processes, annotations each)
CHANGES = {False: 50, True: 10}  # changes the other client waits for
OPEN_SIZE = {False: (5_000_000, 50_000), True: (1_000_000, 5_000)}  # (article characters, annotations)
LIVE_TARGET_S = 2.0
OPEN_RATIO = 1.5
WAIT_S = 10.0  # the longest the other client waits for one change before it counts as missed
ROOT = Path(__file__).resolve().parent.parent


def server_speed(quick: bool) -> list[Row]:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # tests.pg_server: the test suite's own way to start a server
    from tests.pg_server import TestServer, available

    reason = available()
    if reason:
        return [not_run("W14", "team server", reason)]

    with tempfile.TemporaryDirectory(prefix="spanner-w14-", dir="/tmp") as folder:
        server = TestServer(Path(folder))
        try:
            return [*_writers(server, quick), *_live(server, quick), *_open(server, quick)]
        finally:
            server.close()


# -- (a) concurrent writers ---------------------------------------------------------------------------------------


def _writers(server, quick: bool) -> list[Row]:
    processes, each = WRITERS[quick]
    alone = _run_writers(server, 1, each)  # the baseline: the same commands with nobody else writing
    together = _run_writers(server, processes, each)
    expected = processes * each
    stored, per_writer, failures = together["stored"], together["per_writer"], together["failures"]
    wrong = abs(expected - len(stored)) + (len(stored) - len({a.uuid for a in stored}))
    exact = wrong == 0 and set(per_writer.values()) == {each} and not failures
    label = f"{processes} writer processes × {each:,} annotations, one command each"
    note = f"{failures[0][:120]}" if failures else ""
    return [
        Row("W14", f"{label}: throughput (baseline: one writer alone)", together["throughput"], "commands/s",
            alone["throughput"], note=note),
        Row("W14", f"{label}: one command's latency (p95; baseline: one writer alone)", together["p95"], "ms",
            alone["p95"], samples=together["slowest"]),
        Row("W14", f"{label}: annotations lost or doubled", wrong, "annotations", target="0", ok=exact,
            note=f"{len(stored):,} stored, {sorted(set(per_writer.values()))} per writer"
                 + (f"; {len(failures)} writers failed" if failures else "")),
    ]


def _run_writers(server, processes: int, each: int) -> dict:
    """``processes`` writers on a fresh database, started together; what they did and what was stored."""
    from annotator.workspace import Workspace

    name = server.new_database()
    url = server.url(name)
    with Workspace.open(url) as owner:
        article_id = _import(owner, corpus.article_text(12 * processes * each, index=14))
    context = multiprocessing.get_context("spawn")  # fresh interpreters: no engine or connection is inherited
    ready, go, results = context.Queue(), context.Event(), context.Queue()
    url_text = url.render_as_string(hide_password=False)
    workers = [context.Process(target=_write, args=(url_text, article_id, number, each, ready, go, results),
                               daemon=True) for number in range(processes)]  # daemons: a stuck one dies with us
    for worker in workers:
        worker.start()
    _wait_until_ready(workers, ready)
    started = time.monotonic()
    go.set()
    reports = [results.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    seconds = max(report["finished"] for report in reports) - started
    latencies = [latency for report in reports for latency in report.get("latencies", [])]
    with Workspace.open(url) as reader:
        stored = reader.article_annotations(article_id)
    server.drop(name)
    per_writer = {f"writer{number}": 0 for number in range(processes)}
    for annotation in stored:
        per_writer[annotation.annotator] = per_writer.get(annotation.annotator, 0) + 1
    return {"throughput": len(latencies) / seconds, "p95": p95(latencies) * 1000 if latencies else None,
            "slowest": [round(value * 1000, 2) for value in sorted(latencies)[-20:]], "stored": stored,
            "per_writer": per_writer, "failures": [report["error"] for report in reports if report.get("error")]}


def _wait_until_ready(workers: list, ready) -> None:
    """Every writer connected and waiting for the start (a writer that died first is a RuntimeError)."""
    import queue

    waiting = len(workers)
    deadline = time.monotonic() + 120
    while waiting:
        try:
            ready.get(timeout=1)
            waiting -= 1
        except queue.Empty:
            dead = [worker.exitcode for worker in workers if worker.exitcode is not None]
            if dead or time.monotonic() > deadline:
                raise RuntimeError(f"a writer process did not start (exit codes {dead})") from None


def _write(url: str, article_id: int, number: int, count: int, ready, go, results) -> None:
    """One writer process: ``count`` single-word annotations of its own, each one ``Workspace.run``."""
    latencies: list[float] = []
    report: dict = {"latencies": latencies}
    try:
        from annotator.commands import AddAnnotations, AnnotationSpec
        from annotator.workspace import Workspace

        with Workspace.open(url) as workspace:
            words = [(m.start(), m.end()) for m in re.finditer(r"\S+", workspace.article(article_id).text)]
            mine = words[number * count:(number + 1) * count]
            tags = [tag.name for tag in workspace.tags()]
            analyst = f"writer{number}"
            ready.put(number)
            go.wait(timeout=300)
            for index, (start, end) in enumerate(mine):
                command = AddAnnotations([AnnotationSpec(article_id, start, end, tags[index % len(tags)])], analyst)
                began = time.monotonic()
                workspace.run(command)
                latencies.append(time.monotonic() - began)
    except Exception as exc:  # noqa: BLE001 — reported in the results table, the run goes on
        report["error"] = f"writer{number}: {type(exc).__name__}: {exc}"
        ready.put(number)
    report["finished"] = time.monotonic()  # CLOCK_MONOTONIC: one clock for every process on the machine
    results.put(report)


def _import(workspace, text: str) -> int:
    from annotator.importer import ArticleText, ImportArticles

    command = ImportArticles([ArticleText(text=text, title="W14 article", outlet="Bench")])
    workspace.run(command)
    return command.report.added[0][0]


# -- (b) another client sees a change --------------------------------------------------------------------------


def _live(server, quick: bool) -> list[Row]:
    from annotator.commands import AddAnnotations, AnnotationSpec
    from annotator.workspace import Workspace

    name = server.new_database()
    with Workspace.open(server.url(name)) as owner:
        article_id = _import(owner, corpus.article_text(20_000, index=15))
    count = CHANGES[quick]
    latencies: list[float] = []
    missed = 0
    with Workspace.open(server.url(name, "alice")) as alice, Workspace.open(server.url(name, "bob")) as bob:
        listens = hasattr(bob, "change_fd") and hasattr(bob, "changes_elsewhere")
        wait = _wait_by_socket if listens else _wait_by_polling
        wait(bob, 0.2)  # connected and caught up before the first change
        words = [(m.start(), m.end()) for m in re.finditer(r"\S+", alice.article(article_id).text)]
        for index in range(count):
            start, end = words[index]
            command = AddAnnotations([AnnotationSpec(article_id, start, end, "evidence")], "alice")
            began = time.monotonic()
            alice.run(command)
            uuid = command.result.added[0]
            seen = False
            while time.monotonic() - began < WAIT_S and not seen:
                if wait(bob, WAIT_S - (time.monotonic() - began)):
                    seen = any(a.uuid == uuid for a in bob.article_annotations(article_id, [uuid]))
            if seen:
                latencies.append(time.monotonic() - began)
            else:
                missed += 1
            time.sleep(0.05)
    server.drop(name)
    how = "LISTEN/NOTIFY: waits on Workspace.change_fd()" if listens else (
        "Workspace.change_fd() not there yet: polls change_counter() every 50 ms")
    value = p95(latencies) if latencies else None
    ok = value is not None and value <= LIVE_TARGET_S and not missed
    return [Row("W14", f"alice's change seen by bob's client and read (p95 of {count})", value, "s",
                target=f"p95 ≤ {LIVE_TARGET_S:g} s", ok=ok,
                note=how + (f"; {missed} not seen within {WAIT_S:g} s" if missed else ""),
                samples=[round(v * 1000, 1) for v in latencies])]


def _wait_by_socket(workspace, timeout: float) -> bool:
    """True once the server has told ``workspace`` of a change made elsewhere (within ``timeout`` seconds)."""
    deadline = time.monotonic() + max(timeout, 0)
    while True:
        if workspace.changes_elsewhere():
            return True
        fd = workspace.change_fd()
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        if fd is None:
            time.sleep(min(left, 0.05))
        else:
            select.select([fd], [], [], left)


def _wait_by_polling(workspace, timeout: float) -> bool:
    deadline = time.monotonic() + max(timeout, 0)
    last = getattr(workspace, "_w14_seen", None)
    while True:
        counter = workspace.change_counter()
        if last is not None and counter != last:
            workspace._w14_seen = counter
            return True
        last = workspace._w14_seen = counter
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


# -- (c) opening the 5 MB article ------------------------------------------------------------------------------


def _open(server, quick: bool) -> list[Row]:
    from annotator.db import Database

    chars, count = OPEN_SIZE[quick]
    source = corpus.database("article", n_articles=1, article_chars=chars, n_annotations=count)
    name = server.new_database()
    url = server.url(name)
    with Database.open(source) as sqlite, Database.open(url) as pg:
        article_id = _copy_article(sqlite, pg)
    sqlite_s = _best_open(source, 1)
    pg_s = _best_open(url, article_id)
    server.drop(name)
    label = f"{chars / 1e6:g} MB article, {count:,} annotations"
    return [Row("W14", f"open the {label} from the server (best of 3; vs the SQLite file)", pg_s * 1000, "ms",
                sqlite_s * 1000, target=f"≤ {OPEN_RATIO:g}× SQLite", ok=pg_s <= OPEN_RATIO * sqlite_s,
                note="Workspace.open + article + article_annotations, local socket")]


def _best_open(target, article_id: int) -> float:
    from annotator.workspace import Workspace

    times = []
    for _ in range(3):
        began = time.perf_counter()
        with Workspace.open(target) as workspace:
            workspace.article(article_id)
            shown = workspace.article_annotations(article_id)
        times.append(time.perf_counter() - began)
        assert shown, "the article's annotations were read"
    return min(times)


def _copy_article(sqlite, pg) -> int:
    """The cached one-article database's article, analysts and annotations onto the server (untimed set-up)."""
    from annotator.models import Annotation, Annotator, Article, Tag

    with sqlite.session() as session:
        article = session.execute(sql_select(Article.__table__).limit(1)).mappings().one()
        names = dict(session.execute(sql_select(Annotator.id, Annotator.name)).all())
        tags = dict(session.execute(sql_select(Tag.id, Tag.name)).all())
        rows = [dict(row) for row in session.execute(
            sql_select(Annotation.__table__).where(Annotation.article_id == article["id"])).mappings()]
    with pg.transaction() as session:
        article_id = session.execute(insert(Article).returning(Article.id),
                                     {k: v for k, v in article.items() if k != "id"}).scalar_one()
        session.execute(insert(Annotator), [{"name": name} for name in names.values()])
        server_analysts = dict(session.execute(sql_select(Annotator.name, Annotator.id)).all())
        server_tags = dict(session.execute(sql_select(Tag.name, Tag.id)).all())
        for row in rows:
            del row["id"]
            row["article_id"] = article_id
            row["tag_id"] = server_tags[tags[row["tag_id"]]]
            row["annotator_id"] = server_analysts[names[row["annotator_id"]]]
            if row.get("edited_by_id") is not None:
                row["edited_by_id"] = server_analysts[names[row["edited_by_id"]]]
        session.execute(insert(Annotation), rows)
    return article_id
