"""W12: the agreement measures (α_U, kappa, span counts, α_U per article) over 100,000 annotations by three
annotators in 200 articles, beside the least any measure must do in the same process: read the same spans."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from . import corpus
from .common import Row, median, timed

SIZES = {False: dict(n_articles=200, article_chars=8000, n_annotations=100_000),
         True: dict(n_articles=50, article_chars=8000, n_annotations=20_000)}

BASELINE_SQL = """
SELECT a.article_id, a.start, a."end", t.name, an.name
FROM annotations a JOIN tags t ON t.id = a.tag_id JOIN annotators an ON an.id = a.annotator_id
ORDER BY a.article_id, a.start, a."end"
"""


def baseline_read(db_path: Path) -> int:
    """The spans any agreement measure has to read: one sqlite3 query, every row fetched."""
    conn = sqlite3.connect(db_path)
    try:
        return len(conn.execute(BASELINE_SQL).fetchall())
    finally:
        conn.close()


def agreement_speed(quick: bool) -> list[Row]:
    from annotator.agreement import measure_agreement
    from annotator.workspace import Workspace

    sizes = SIZES[quick]
    path = corpus.database("agreement", **sizes)
    app, base = [], []
    with Workspace.open(path, create=False) as ws:
        for _ in range(3):
            seconds, count = timed(lambda: baseline_read(path))
            if count != sizes["n_annotations"]:
                raise RuntimeError(f"baseline read {count} spans, expected {sizes['n_annotations']}")
            base.append(seconds)
            seconds, report = timed(lambda: measure_agreement(ws))
            if len(report.annotators) != len(corpus.OUR_ANNOTATORS) or report.alpha_u is None:
                raise RuntimeError(f"agreement over {report.annotators} gave α_U {report.alpha_u}")
            app.append(seconds)
    value, baseline = median(app), median(base)
    figure = (f"agreement of {len(corpus.OUR_ANNOTATORS)} annotators: {sizes['n_annotations']:,} annotations "
              f"in {sizes['n_articles']} articles (α_U, kappa, counts, per article; median of 3)")
    return [Row("W12", figure, value, "s", baseline, target="≤ 2 s", ok=value <= 2.0, samples=app)]
