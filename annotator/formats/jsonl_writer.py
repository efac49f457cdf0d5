"""Writing annotations as JSON Lines (``.jsonl``, UTF-8, one JSON object per line) for pandas, jq and scripts.

Each line holds the CSV's fields under the CSV's names (csv_writer.CSV_COLUMNS, in that order), typed: ids and
offsets are numbers, times ISO 8601 UTC text as in the CSV, ``edited_by`` and ``edited_at`` null when no one
edited it. Then ``prefix`` and ``suffix``: up to 32 code points of the article's text before ``start`` and from
``end``, so that ``prefix + text + suffix`` is exactly a slice of the article. Text is written exactly as stored
(JSON is not a spreadsheet: ``spreadsheet_safe`` changes nothing). ``pandas.read_json(path, lines=True)`` reads it.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from json.encoder import encode_basestring  # the C encoder json.dumps uses (ensure_ascii=False)
from typing import BinaryIO

from .records import ExportBatch, iso_utc

CONTEXT_CHARS = 32  # code points of prefix and suffix


def write(handle: BinaryIO, batches: Iterable[ExportBatch], *, spreadsheet_safe: bool = True) -> int:
    """Write every batch's annotations to ``handle`` as JSON Lines; return the number of lines written."""
    out = io.TextIOWrapper(handle, encoding="utf-8", newline="\n")
    q = encode_basestring
    names: dict[str, str] = {}  # tag and annotator names (few), each encoded once
    written = 0
    for batch, articles in batches:
        lines = []
        append = lines.append
        article_id = None
        for uid, art, start, end, tag, note, who, created, updated, *edited in batch:
            if art != article_id:
                article_id = art
                _, title, sha, text = articles[art]
                head = f'"article_id":{art},"article_title":{q(title)},"article_sha256":"{sha}"'
            if len(created) == 26 and len(updated) == 26:
                created = created[:10] + "T" + created[11:] + "Z"
                updated = updated[:10] + "T" + updated[11:] + "Z"
            else:
                created, updated = iso_utc(created), iso_utc(updated)
            editor, edited_at = edited or (None, None)
            tag_json = names.get(tag) or names.setdefault(tag, q(tag))
            who_json = names.get(who) or names.setdefault(who, q(who))
            edit = ('"edited_by":null,"edited_at":null' if editor is None else
                    f'"edited_by":{q(editor)},"edited_at":{q(iso_utc(edited_at)) if edited_at else "null"}')
            append(f'{{"annotation_id":{q(uid)},{head},"start":{start},"end":{end},"text":{q(text[start:end])},'
                   f'"tag":{tag_json},"note":{q(note)},"annotator":{who_json},"created_at":"{created}",'
                   f'"updated_at":"{updated}",{edit},'
                   f'"prefix":{q(text[max(0, start - CONTEXT_CHARS):start])},'
                   f'"suffix":{q(text[end:end + CONTEXT_CHARS])}}}\n')
        out.write("".join(lines))
        written += len(lines)
    out.flush()
    out.detach()  # the handle stays open: its owner makes it durable and closes it
    return written
