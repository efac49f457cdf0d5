"""A child process for the kill tests: ``python kill_worker.py DB SEED [ANNOTATOR]``.

It opens DB with ``Database.open`` and runs annotation commands (AddAnnotations,
UpdateAnnotation, DeleteAnnotations) as fast as it can, forever, until it is killed.
It speaks one line per event on stdout, flushed at once:

    READY                          the database is open
    BEGIN <op> <json>              a command is about to run (the values it will write)
    OK <uuid> <op> <json>          do() has returned: this annotation is saved (the "confirmed" point)
    NO <op> <message>              the command was refused (nothing changed)

``<json>`` after OK holds the confirmed values: article_id, start, end, tag, note (for delete: {}).
All OK lines of one command are written with one write() so they arrive together.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import select  # noqa: E402

from annotator.commands import AddAnnotations, AnnotationSpec, DeleteAnnotations, UpdateAnnotation  # noqa: E402
from annotator.db import Database  # noqa: E402
from annotator.errors import AnnotatorError  # noqa: E402
from annotator.models import Article  # noqa: E402
from annotator.queries import list_annotations  # noqa: E402

TAGS = ("allegation", "denial", "evidence", "context")
NOTE_ALPHABET = "abcdefghijklmnopqrstuvwxyz äöüßé—✓"


def say(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def random_span(rng: random.Random, text: str) -> tuple[int, int]:
    while True:
        start = rng.randrange(len(text))
        end = min(len(text), start + rng.randint(1, 40))
        if text[start:end].strip():
            return start, end


def random_note(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return ""
    return "".join(rng.choice(NOTE_ALPHABET) for _ in range(rng.randint(1, 60)))


def main(db_path: str, seed: int, who: str) -> None:
    rng = random.Random(seed)
    db = Database.open(db_path, create=False)
    with db.session() as session:
        texts = {row.id: row.text for row in session.execute(select(Article.id, Article.text))}
        live = {
            a.uuid: {"article_id": a.article_id, "start": a.start, "end": a.end, "tag": a.tag, "note": a.note}
            for a in list_annotations(session, annotators=[who])
        }
    article_ids = sorted(texts)

    def taken(values: dict, ignore: str | None = None) -> bool:
        key = (values["article_id"], values["start"], values["end"], values["tag"])
        return any((v["article_id"], v["start"], v["end"], v["tag"]) == key for u, v in live.items() if u != ignore)

    say("READY\n")
    while True:
        roll = rng.random()
        if roll < 0.6 or len(live) < 3:
            specs: list[dict] = []
            for _ in range(rng.choice((1, 1, 1, 2, 3))):
                article_id = rng.choice(article_ids)
                start, end = random_span(rng, texts[article_id])
                values = {"article_id": article_id, "start": start, "end": end, "tag": rng.choice(TAGS),
                          "note": random_note(rng)}
                if not taken(values) and all(values | {"note": ""} != s | {"note": ""} for s in specs):
                    specs.append(values)
            if not specs:
                continue
            command = AddAnnotations([AnnotationSpec(**s) for s in specs], who)
            op, begin, confirmed = "add", specs, None
        elif roll < 0.8:
            uuid = rng.choice(sorted(live))
            after = dict(live[uuid])
            change = rng.choice(("tag", "note", "span"))
            if change == "tag":
                after["tag"] = rng.choice([t for t in TAGS if t != after["tag"]])
                command = UpdateAnnotation(uuid, tag=after["tag"])
            elif change == "note":
                after["note"] = random_note(rng) + "!"
                command = UpdateAnnotation(uuid, note=after["note"])
            else:
                after["start"], after["end"] = random_span(rng, texts[after["article_id"]])
                command = UpdateAnnotation(uuid, start=after["start"], end=after["end"])
            if taken(after, ignore=uuid):
                continue
            op, begin, confirmed = "update", {"uuid": uuid, **after}, {uuid: after}
        else:
            uuids = rng.sample(sorted(live), k=min(len(live), rng.choice((1, 1, 2))))
            command = DeleteAnnotations(uuids)
            op, begin, confirmed = "delete", uuids, {u: {} for u in uuids}
        say(f"BEGIN {op} {json.dumps(begin, ensure_ascii=False)}\n")
        try:
            command.do(db)
        except AnnotatorError as exc:
            say(f"NO {op} {' '.join(str(exc).split())}\n")
            continue
        if op == "add":
            confirmed = dict(zip(command.result.added, specs, strict=True))
        lines = [f"OK {uuid} {op} {json.dumps(values, ensure_ascii=False)}\n" for uuid, values in confirmed.items()]
        say("".join(lines))
        for uuid, values in confirmed.items():
            if op == "delete":
                live.pop(uuid)
            else:
                live[uuid] = values


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "killer")
