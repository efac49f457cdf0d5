"""Qt workloads (offscreen): W1 start-up, W2 first paint of a big article (and M, its peak memory),
W3 add-and-repaint and scrolling, W7 the annotations table."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from annotator.db import Database  # noqa: E402

from . import corpus  # noqa: E402
from .common import Row, current_rss_mb, median, not_run, p95, peak_rss_mb, run_dir, timed  # noqa: E402

# 1 MB / 5,000 and 5 MB / 50,000 (quick: 200 KB / 1,000 and 1 MB / 5,000).
W2_SMALL = {False: (1_000_000, 5_000), True: (200_000, 1_000)}
W2_LARGE = {False: (5_000_000, 50_000), True: (1_000_000, 5_000)}
VIEW_SIZE = (760, 900)
ANALYST = "bench"


def ui_missing() -> str | None:
    """Why the UI cannot be benchmarked yet, or None."""
    try:
        import ui.comparison.article_column  # noqa: F401
        import ui.controller  # noqa: F401
    except Exception as exc:  # noqa: BLE001 (any import failure means "not ready")
        return f"ui does not import ({type(exc).__name__}: {exc})"
    return None


def application():
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setStyle("Fusion")
    try:
        from ui.theme import apply_theme

        apply_theme(app, dark=False)
    except Exception:  # noqa: BLE001 (the theme is cosmetic; measure without it)
        pass
    return app


def settle(app) -> None:
    from PySide6.QtCore import QCoreApplication, QEvent

    app.processEvents()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.processEvents()


def warm_up(app) -> None:
    """Load fonts, styles and the paint engine once, so the first measured paint is not charged for them."""
    from PySide6.QtWidgets import QPlainTextEdit

    from ui.comparison.article_view import ArticleView

    for widget in (QPlainTextEdit(), ArticleView()):
        widget.setPlainText("Warm up: café 北京 🙂\n" * 20)
        widget.resize(*VIEW_SIZE)
        widget.show()
        widget.grab()
        widget.close()
        widget.deleteLater()
    settle(app)


def article_db(chars: int, annotations: int, name: str) -> Database:
    """A private copy of the cached one-article database."""
    source = corpus.database("article", n_articles=1, article_chars=chars, n_annotations=annotations)
    return Database.open(corpus.copy_database(source, run_dir() / f"{name}.db"))


def open_column(app, controller, article_id: int = 1):
    """ArticleColumn set up, shown and painted: the 'first paint' of an article."""
    from ui.comparison.article_column import ArticleColumn

    column = ArticleColumn(controller, article_id)
    column.resize(*VIEW_SIZE)
    column.show()
    app.processEvents()
    column.grab()
    return column


def close_column(app, column) -> None:
    column.close()
    column.deleteLater()
    settle(app)


# -- W2 (and M): first paint of a big article -----------------------------------------------------------


def _w2(quick: bool, sizes: dict, label: str, target_s: float, ratio_limit: float | None, memory: bool) -> list[Row]:
    reason = ui_missing()
    if reason:
        rows = [not_run("W2", f"open {label} article", reason)]
        if memory:
            rows.append(not_run("M", "peak memory with the 5 MB article open", reason, "≤ 400 MB"))
        return rows
    from ui.controller import AppController

    chars, count = sizes[quick]
    app = application()
    annotated = article_db(chars, count, "w2_annotated")
    plain = article_db(chars, 0, "w2_plain")
    with_ctl, plain_ctl = AppController(annotated, ANALYST), AppController(plain, ANALYST)
    with_ctl.tags(), plain_ctl.tags()
    warm_up(app)
    rss_before = current_rss_mb()
    times, base = [], []
    peak = None
    for rep in range(3):
        seconds, column = timed(lambda: open_column(app, with_ctl))
        times.append(seconds)
        if rep == 0:
            peak = peak_rss_mb()  # only this article has been open in this process so far
        close_column(app, column)
        seconds, column = timed(lambda: open_column(app, plain_ctl))
        base.append(seconds)
        close_column(app, column)
    annotated.close()
    plain.close()
    value, baseline = median(times) * 1000, median(base) * 1000
    ok = value <= target_s * 1000 and (ratio_limit is None or value <= ratio_limit * baseline)
    target = f"≤ {target_s * 1000:.0f} ms" + (f" and ≤ {ratio_limit:g} × baseline" if ratio_limit else "")
    rows = [Row("W2", f"open {label} article with {count:,} annotations to first paint (median of 3)", value, "ms",
                baseline, target, ok, samples=[t * 1000 for t in times])]
    if memory:
        rows.append(Row("M", f"peak RSS with the {label} article open (before: {rss_before:.0f} MB)", peak, "MB",
                        target="≤ 400 MB", ok=peak <= 400))
    return rows


def w2_small(quick: bool) -> list[Row]:
    return _w2(quick, W2_SMALL, "1 MB" if not quick else "200 KB", 0.3, 2.0, memory=False)


def w2_large(quick: bool) -> list[Row]:
    return _w2(quick, W2_LARGE, "5 MB" if not quick else "1 MB", 1.5, None, memory=True)


# -- W3: add one annotation, and scroll, in the 5 MB article ----------------------------------------------


def w3(quick: bool) -> list[Row]:
    reason = ui_missing()
    if reason:
        return [not_run("W3", "add one annotation (p95)", reason, "p95 ≤ 16 ms"),
                not_run("W3", "scroll one page (p95)", reason, "p95 ≤ 16 ms")]
    import re

    from annotator.commands import AddAnnotations, AnnotationSpec
    from ui.controller import AppController

    chars, count = W2_LARGE[quick]
    app = application()
    db = article_db(chars, count, "w3")
    controller = AppController(db, ANALYST)
    warm_up(app)
    column = open_column(app, controller)
    view = column.view
    viewport = view.viewport()
    text = view.text
    rng = random.Random("w3")
    # Spans among the words on the first page, so each repaint shows the new highlight.
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text[:2500])]
    tags = [tag.name for tag in controller.tags()]
    adds: list[float] = []
    refused = 0
    while len(adds) < 50 and refused < 200:
        first = rng.randrange(len(words) - 3)
        spec = AnnotationSpec(1, words[first][0], words[first + rng.randint(0, 2)][1], rng.choice(tags))
        start = time.perf_counter()
        ok = controller.run(AddAnnotations([spec], ANALYST))
        viewport.repaint()
        app.processEvents()
        elapsed = time.perf_counter() - start
        if ok:
            adds.append(elapsed * 1000)
        else:
            refused += 1
    scrolls: list[float] = []
    bar = view.verticalScrollBar()
    for _ in range(60):
        start = time.perf_counter()
        bar.setValue(bar.value() + bar.pageStep())
        viewport.repaint()
        app.processEvents()
        scrolls.append((time.perf_counter() - start) * 1000)
    close_column(app, column)
    db.close()
    label = "5 MB" if not quick else "1 MB"
    rows = []
    for name, samples in ((f"add one annotation in the {label} article: run + commit + repaint", adds),
                          (f"scroll one page in the {label} article: + repaint", scrolls)):
        value = p95(samples)
        rows.append(Row("W3", f"{name} (p95 of {len(samples)}; median {median(samples):.1f} ms)", value, "ms",
                        target="p95 ≤ 16 ms", ok=value <= 16, samples=samples))
    return rows


# -- W1: start the app on the samples -------------------------------------------------------------------------

# (a) the bare minimum that shows a window; the probe (benchmarks/w1_probe.py) ends it once painted.
BARE_WINDOW_SCRIPT = r"""
import sys
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication(sys.argv[:1])
window = QWidget()
window.setWindowTitle("Spanner")
window.resize(1440, 900)
window.show()
sys.exit(app.exec())
"""

# (b) the fixed stack the product's owner chose (PySide6 widgets, SQLAlchemy ORM, qtawesome) painting the three
# sample texts side by side, grabbed and saved as PNG like `--screenshot`.
FIXED_STACK_SCRIPT = r"""
import sys
import qtawesome  # noqa: F401
import sqlalchemy.orm  # noqa: F401
from PySide6.QtWidgets import QApplication, QHBoxLayout, QPlainTextEdit, QWidget
app = QApplication(sys.argv[:1])
app.setStyle("Fusion")
window = QWidget()
row = QHBoxLayout(window)
for path in sys.argv[1:-1]:
    edit = QPlainTextEdit()
    edit.setPlainText(open(path, encoding="utf-8").read())
    row.addWidget(edit)
window.resize(1440, 900)
window.show()
for _ in range(5):
    app.processEvents()
sys.exit(0 if window.grab().save(sys.argv[-1]) else 1)
"""
PROBE = corpus.REPO / "benchmarks" / "w1_probe.py"


def _isolated_env() -> dict:
    home = run_dir() / "w1_home"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_STATE_HOME", "state"),
                     ("XDG_CACHE_HOME", "cache")):
        (home / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(home / sub)
    return env


def _process_seconds(command: list[str], env: dict) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=corpus.REPO, env=env, capture_output=True, text=True, timeout=300)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[1:3])} failed: {done.stderr.strip()[-300:]}")
    return elapsed


def _medians(commands: dict[str, list[str]], env: dict, runs: int) -> dict[str, list[float]]:
    """Each command once unmeasured (bytecode caches, first settings), then ``runs`` times, in turn."""
    for command in commands.values():
        _process_seconds(command, env)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            samples[name].append(_process_seconds(command, env))
    return samples


def w1(quick: bool) -> list[Row]:
    if not (corpus.REPO / "main.py").exists():
        return [not_run("W1", "start on the samples", "main.py is missing", "≤ 1.5 × baseline")]
    try:
        import ui.main_window  # noqa: F401
    except Exception as exc:  # noqa: BLE001
        return [not_run("W1", "start on the samples", f"ui.main_window does not import ({exc})", "≤ 1.5 × baseline")]
    work = run_dir()
    db = corpus.copy_database(corpus.samples_database(), work / "w1_samples.db")
    texts = [str(path) for path in sorted(corpus.SAMPLES_DIR.glob("*.txt"))]
    for name, script in (("w1_bare.py", BARE_WINDOW_SCRIPT), ("w1_fixed_stack.py", FIXED_STACK_SCRIPT)):
        (work / name).write_text(script, encoding="utf-8")
    py, app = sys.executable, ["main.py", str(db), "--analyst", ANALYST]
    commands = {
        "app first paint": [py, str(PROBE), *app],
        "bare window": [py, str(PROBE), str(work / "w1_bare.py")],
        "app articles": [py, *app, "--screenshot", str(work / "w1_app.png")],
        "fixed stack": [py, str(work / "w1_fixed_stack.py"), *texts, str(work / "w1_base.png")],
    }
    runs = 3 if quick else 7
    samples = _medians(commands, _isolated_env(), runs)
    first, bare = median(samples["app first paint"]), median(samples["bare window"])
    painted, fixed = median(samples["app articles"]), median(samples["fixed stack"])
    return [
        Row("W1", f"first painted window: `main.py DB`, process start to first paint (median of {runs}; baseline: a "
                  "bare PySide6 script showing a window)", first, "s", bare, "≤ 1.5 × baseline", first <= 1.5 * bare,
            samples=samples["app first paint"],
            note="the first window painted is main.py's “Opening…” window; the main window follows, see (b)"),
        Row("W1", f"sample articles painted: `main.py DB --screenshot`, whole process (median of {runs}; baseline: "
                  "PySide6 widgets + SQLAlchemy ORM + qtawesome imported, the three texts painted in QPlainTextEdits "
                  "and saved)", painted, "s", fixed, "≤ 1.3 × baseline", painted <= 1.3 * fixed,
            samples=samples["app articles"]),
    ]


# -- W7: the annotations table with 1,000,000 rows -----------------------------------------------------------


def w7(quick: bool) -> list[Row]:
    from .workloads_core import BIG_TABLE, big_table_db

    total = BIG_TABLE[quick]["n_annotations"]
    source = big_table_db(quick)
    db = Database.open(corpus.copy_database(source, run_dir() / "w7.db"))
    try:
        try:
            import ui.panels.annotations_model  # noqa: F401
        except Exception as exc:  # noqa: BLE001
            rows = _w7_core(db, total)
            for row in rows:
                row.note = f"core queries only: ui.panels.annotations_model does not import ({type(exc).__name__})"
            return rows
        return _w7_model(db, total)
    finally:
        db.close()


W7_NEEDLE = "satellite"


def _w7_core(db: Database, total: int) -> list[Row]:
    """Fallback: the Qt-free queries the table model stands on (ids in order + one page of rows)."""
    from annotator.table_queries import TableFilter, annotation_ids, annotation_rows

    def page(**kwargs):
        with db.session() as session:
            ids = annotation_ids(session, **kwargs)
            annotation_rows(session, ids[:60])
            return len(ids)

    rows = []
    for figure, kwargs in (("open", {}), ("sort by tag", {"sort_key": "tag"}),
                           (f"filter by text “{W7_NEEDLE}”", {"filt": TableFilter(text=W7_NEEDLE)})):
        samples = []
        for _ in range(3):
            seconds, _count = timed(lambda kwargs=kwargs: page(**kwargs))
            samples.append(seconds * 1000)
        value = median(samples)
        rows.append(Row("W7", f"{total:,}-row table: {figure} (median of 3)", value, "ms", target="≤ 300 ms",
                        ok=value <= 300, samples=samples))
    return rows


def _w7_model(db: Database, total: int) -> list[Row]:
    """The real table: AnnotationsTableModel in a QTableView, each step timed to a painted view."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QTableView

    from annotator.table_queries import TableFilter
    from ui.controller import AppController
    from ui.panels.annotations_model import TAG, AnnotationsTableModel

    app = application()
    controller = AppController(db, ANALYST)
    controller.tags()
    warm_up(app)
    view = QTableView()
    view.resize(1200, 420)
    view.setSortingEnabled(False)  # the model is sorted by hand below, as a header click would
    view.show()
    settle(app)

    def paint() -> None:
        app.processEvents()
        view.viewport().repaint()

    def open_table() -> int:
        model = AnnotationsTableModel(controller, view)
        view.setModel(model)
        paint()
        return model.rowCount()

    steps = {"open": [], "sort by tag": [], f"filter by text “{W7_NEEDLE}”": []}
    counts = {}
    for _ in range(3):
        old = view.model()
        seconds, counts["open"] = timed(open_table)
        steps["open"].append(seconds * 1000)
        if old is not None:
            old.deleteLater()
        model = view.model()
        seconds, _ = timed(lambda model=model: (model.sort(TAG, Qt.SortOrder.AscendingOrder), paint()))
        steps["sort by tag"].append(seconds * 1000)
        seconds, _ = timed(lambda model=model: (model.set_filter(TableFilter(text=W7_NEEDLE)), paint()))
        steps[f"filter by text “{W7_NEEDLE}”"].append(seconds * 1000)
        counts["filter"] = model.rowCount()
        settle(app)
    if counts["open"] != total:
        raise RuntimeError(f"the table shows {counts['open']} rows, expected {total}")
    rows = []
    for figure, samples in steps.items():
        value = median(samples)
        extra = f"; {counts['filter']:,} rows match" if figure.startswith("filter") else ""
        rows.append(Row("W7", f"{total:,}-row table: {figure}, to a painted view (median of 3{extra})", value, "ms",
                        target="≤ 300 ms", ok=value <= 300, samples=samples))
    view.close()
    return rows
