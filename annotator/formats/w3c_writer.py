"""Writing annotations as W3C Web Annotations (JSON-LD, https://www.w3.org/TR/annotation-model/).

The file is one ``AnnotationCollection`` whose ``first`` (and only) ``AnnotationPage`` holds every annotation
in its ``items``; the collection's ``total`` comes last, once the items are counted. Each annotation:

- ``@context`` ``http://www.w3.org/ns/anno.jsonld``, ``id`` ``urn:uuid:<its uuid>``, ``type`` ``Annotation``,
  ``motivation`` ``tagging``, ``created`` and ``modified`` (xsd:dateTime in UTC, ending in ``Z``), ``creator``
  (a ``Person`` with the annotator's ``name``);
- ``body``: a ``TextualBody`` holding the tag (purpose ``tagging``) and, when there is a note, one holding it
  (purpose ``commenting``);
- ``target``: ``source`` is the article's URL, else ``urn:sha256:<hex>`` of its text (UTF-8); ``selector`` holds a
  ``TextPositionSelector`` (``start``/``end`` count Unicode code points, as Python slices do, and ``end`` is
  exclusive: the character at ``end`` is not selected) and a ``TextQuoteSelector`` (``exact`` is exactly
  ``text[start:end]``; ``prefix`` and ``suffix`` are up to 32 code points either side).

A link between two annotations is an annotation with motivation ``linking``, a ``TextualBody`` holding the link
type (purpose ``tagging``; its note as a ``commenting`` body) and two targets, the ids of the annotations it links,
source first. Two things the model has no place for are written under our own keys: the tags and their colours
(``spanner:tags``), and, beside a URL ``source``, the SHA-256 of the article's text (``spanner:sha256``), so the
import finds the very text annotated even when the page at that URL has been imported again since.

The file is written as it goes, an annotation at a time: a million annotations are never held as one list.
"""

from __future__ import annotations

import io
import json
import uuid as uuid_module
from collections.abc import Iterable
from typing import BinaryIO

from .records import ExportBatch, iso_utc

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
CONTEXT_CHARS = 32  # code points of prefix and suffix
TAGS_KEY = "spanner:tags"  # not part of the model: our tags and their colours, for a round trip
SHA_KEY = "spanner:sha256"  # not part of the model: a target whose source is a URL also names its text's SHA-256

_dump = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


def urn_uuid(value: str) -> str:
    return value if value.startswith("urn:uuid:") else f"urn:uuid:{value}"


def article_source(url: str | None, sha256: str) -> str:
    """What a target's ``source`` names: the article's URL, else the SHA-256 of its text."""
    return url or f"urn:sha256:{sha256}"


def write(handle: BinaryIO, batches: Iterable[ExportBatch], *, spreadsheet_safe: bool = True,
          context=None) -> int:
    """Write the batches' annotations (then ``context``'s links) to ``handle``; return the annotations written.

    ``spreadsheet_safe`` is accepted for the registry's sake and changes nothing: no spreadsheet reads JSON-LD.
    """
    del spreadsheet_safe
    out = io.TextIOWrapper(handle, encoding="utf-8", newline="\n")
    head = {"@context": ANNO_CONTEXT, "id": urn_uuid(str(uuid_module.uuid4())), "type": "AnnotationCollection",
            "label": "Spanner annotations"}
    if context is not None:
        head[TAGS_KEY] = [{"name": tag.name, "color": tag.color, **({"id": urn_uuid(tag.uuid)} if tag.uuid else {})}
                          for tag in context.tags]
    page = {"id": urn_uuid(str(uuid_module.uuid4())), "type": "AnnotationPage", "startIndex": 0}
    # Each object is written open ("[:-1]" drops its closing brace): its items, then "total", follow.
    out.write(f'{_dump(head)[:-1]},\n"first":{_dump(page)[:-1]},"items":[\n')
    metas = context.articles if context is not None else {}
    written = 0
    separator = ""
    for batch, articles in batches:
        article_id = None
        for uid, art, start, end, tag, note, who, created, updated, *_edited in batch:
            if art != article_id:
                article_id = art
                _, _title, sha, text = articles[art]
                meta = metas.get(art)
                url = getattr(meta, "url", None)
                target = {"source": article_source(url, sha), **({SHA_KEY: sha} if url else {})}
            body = [{"type": "TextualBody", "value": tag, "purpose": "tagging"}]
            if note:
                body.append({"type": "TextualBody", "value": note, "format": "text/plain", "purpose": "commenting"})
            item = {
                "@context": ANNO_CONTEXT, "id": urn_uuid(uid), "type": "Annotation", "motivation": "tagging",
                "created": iso_utc(created), "modified": iso_utc(updated or created),
                "creator": {"type": "Person", "name": who},
                "body": body,
                "target": {**target, "selector": [
                    {"type": "TextPositionSelector", "start": start, "end": end},
                    {"type": "TextQuoteSelector", "exact": text[start:end],
                     "prefix": text[max(0, start - CONTEXT_CHARS):start], "suffix": text[end:end + CONTEXT_CHARS]},
                ]},
            }
            out.write(separator)
            out.write(_dump(item))
            separator = ",\n"
            written += 1
    for link in (context.links if context is not None else ()):
        out.write(separator)
        out.write(_dump(_link_item(link)))
        separator = ",\n"
    out.write("\n]},\n")
    out.write(f'"total":{written + (len(context.links) if context is not None else 0)}}}\n')
    out.flush()
    out.detach()  # the handle stays open: its owner makes it durable and closes it
    return written


def _link_item(link) -> dict:
    created = iso_utc(link.created_at)
    body = [{"type": "TextualBody", "value": link.type, "purpose": "tagging"}]
    if link.note:
        body.append({"type": "TextualBody", "value": link.note, "format": "text/plain", "purpose": "commenting"})
    return {
        "@context": ANNO_CONTEXT, "id": urn_uuid(link.uuid), "type": "Annotation", "motivation": "linking",
        "created": created, "modified": created, "creator": {"type": "Person", "name": link.annotator},
        "body": body, "target": [urn_uuid(link.source.uuid), urn_uuid(link.target.uuid)],
    }
