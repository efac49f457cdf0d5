"""W11 (offscreen): the coverage matrix of 1,000 claims × 50 articles, from the database to a painted panel,
beside the bare coverage query it stands on (the baseline, in the same process)."""

from __future__ import annotations

import os
import random

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from annotator.db import Database  # noqa: E402

from . import corpus  # noqa: E402
from .common import Row, median, run_dir, timed  # noqa: E402
from .workloads_ui import ANALYST, application, settle, warm_up  # noqa: E402

CLAIMS, ARTICLES, PER_CLAIM = 1_000, 50, 6  # each claim: this many annotations, from as many articles at most
PANEL_SIZE = (1400, 520)
RUNS = {False: 7, True: 3}
TARGET_MS = 300


def matrix_db() -> Database:
    """50 generated articles with annotations, and 1,000 claims with theirs attached (made by the commands)."""
    from annotator.commands import AddClaim, Composite
    from annotator.workspace import Workspace

    source = corpus.database("matrix", n_articles=ARTICLES, article_chars=4_000, n_annotations=ARTICLES * 40)
    db = Database.open(corpus.copy_database(source, run_dir() / "w11_matrix.db"))
    ws = Workspace(db, analyst=ANALYST)
    claims = [AddClaim(f"Claim {n}: the regime did thing number {n}") for n in range(CLAIMS)]
    ws.run(Composite(claims, "claims"))
    uuids = [annotation.uuid for annotation in ws.annotations()]
    rng = random.Random("w11")
    attach = _attachments(claims, rng.sample(uuids, len(uuids)))
    ws.run(Composite(attach, "attach"))
    return db


def _attachments(claims, uuids: list[str]) -> list:
    from annotator.commands import AttachToClaim

    parts = []
    for at, claim in enumerate(claims):
        picked = [uuids[(at * PER_CLAIM + n) % len(uuids)] for n in range(PER_CLAIM)]
        parts.append(AttachToClaim(claim.claim_id, picked, analyst=ANALYST))
    return parts


def matrix_paint(quick: bool) -> list[Row]:
    from ui.controller import AppController
    from ui.panels.claims_model import CoverageSource
    from ui.panels.coverage_matrix import CoverageMatrixPanel

    db = matrix_db()
    try:
        app = application()
        controller = AppController(db, ANALYST)
        warm_up(app)
        matrix = controller.workspace.coverage()
        if (len(matrix.claims), len(matrix.columns)) != (CLAIMS, ARTICLES) or not matrix.cells:
            raise RuntimeError(f"the matrix is {len(matrix.claims)} × {len(matrix.columns)}, expected "
                               f"{CLAIMS} × {ARTICLES} with covered cells")

        def paint() -> int:
            source = CoverageSource(controller)
            panel = CoverageMatrixPanel(source)
            panel.resize(*PANEL_SIZE)
            panel.show()
            app.processEvents()
            panel.grab()
            shown = panel.model.rowCount() * panel.model.columnCount()
            panel.close()
            panel.deleteLater()
            source.deleteLater()
            return shown

        paint()  # once unmeasured: the panel's classes and fonts loaded
        settle(app)
        baseline, painted = [], []
        for _ in range(RUNS[quick]):
            seconds, _ = timed(controller.workspace.coverage)
            baseline.append(seconds * 1000)
            seconds, cells = timed(paint)
            painted.append(seconds * 1000)
            settle(app)
        value = median(painted)
        note = f"{len(matrix.cells):,} covered cells of {cells:,}; baseline: the bare coverage query"
        return [
            Row("W11", f"{CLAIMS:,} claims × {ARTICLES} articles: coverage query (baseline, median of {len(baseline)})",
                median(baseline), "ms", samples=baseline),
            Row("W11", f"{CLAIMS:,} claims × {ARTICLES} articles: database to a painted matrix panel "
                       f"(median of {len(painted)})", value, "ms", baseline=median(baseline),
                target=f"≤ {TARGET_MS} ms", ok=value <= TARGET_MS, note=note, samples=painted),
        ]
    finally:
        db.close()
