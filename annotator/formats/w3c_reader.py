"""Reading W3C Web Annotations (JSON-LD) back into a project: our own ``.jsonld`` export, or any file of them.

The file may be an ``AnnotationCollection`` (its embedded pages are read, ``first`` then each ``next``), one
``AnnotationPage``, a plain JSON array of annotations, or one annotation. A W3C file holds no article texts: a
target names its article by ``source``, ``urn:sha256:<hex>`` of the text or a URL. So the project's articles are
``article_refs`` (project_records.ArticleRef), found in the library by ImportProject, and each span is the
``TextPositionSelector``'s (code points, end exclusive).

Given ``find_articles(source)`` (the articles of the library that source may mean), the reader places each
annotation itself: where its position and its ``TextQuoteSelector`` agree, else where the quote is (with its
prefix and suffix if they are found, the occurrence nearest the given start), so a file that only quotes (as
Hypothesis writes) or counts differently still lands on the right words; the articles are then ``articles``.

Each tagging body (purpose ``tagging``) gives one annotation with that tag; an annotation with none is tagged by
its motivation ("highlighting"). Commenting bodies, and ``bodyValue``, are its note. An annotation with
motivation ``linking`` and two targets naming annotations of the file is a link (its tagging body is the type).
Tags and colours under ``spanner:tags`` (our export writes them) come back with their colours.
"""

from __future__ import annotations

import json
import re
import uuid as uuid_module
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import NamedTuple

from ..errors import ImportFileError
from ..rules import safe_repr
from ..text import decode_bytes
from .project_records import ArticleRef, ProjectAnnotation, ProjectData, ProjectLink, ProjectTag
from .records import ArticleText, Source
from .w3c_writer import SHA_KEY, TAGS_KEY

FindArticles = Callable[[str], Sequence[ArticleText]]


class _Parsed(NamedTuple):
    number: int  # the item's place in the file, from 1, for messages
    source: str
    sha256: str | None  # the text's, as the target names it beside a URL source (our SHA_KEY)
    start: int | None
    end: int | None
    exact: str | None
    prefix: str
    suffix: str
    tags: list[str]
    note: str
    annotator: str
    created: datetime | None
    modified: datetime | None
    id: str | None


def sha256_source(source: str) -> str | None:
    """The hex digest a ``urn:sha256:`` source names, or None for any other source (a URL)."""
    return source[len("urn:sha256:"):].lower() if source.lower().startswith("urn:sha256:") else None


def read(source: Source, find_articles: FindArticles | None = None) -> ProjectData:
    """The project in a W3C Web Annotation file (see the module's docstring); ImportFileError if there is none."""
    items, tags = _items(_load(source))
    annotations: list[_Parsed] = []
    linking: list[tuple[int, dict]] = []
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict) or "Annotation" not in _list(item.get("type")):
            raise ImportFileError(f"item {number} of the file is not an Annotation")
        if "linking" in _list(item.get("motivation")) and len(_list(item.get("target"))) == 2:
            linking.append((number, item))
        else:
            annotations.append(_annotation(number, item))
    if find_articles is None:
        return _by_reference(annotations, linking, tags)
    return _resolve(annotations, linking, tags, find_articles)


def _load(source: Source):
    text = decode_bytes(source.read_bytes())
    try:
        return json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise ImportFileError("the file nests its values too deeply to be W3C annotations") from None
    except ValueError as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise ImportFileError(f"the file is not valid JSON{where}") from None


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _list(value) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


def _items(data) -> tuple[list, list[ProjectTag]]:
    """The annotations of the file's pages, and the tags it lists under TAGS_KEY."""
    if isinstance(data, list):
        return data, []
    if not isinstance(data, dict):
        raise ImportFileError("the file holds no annotations (it is neither an object nor an array)")
    kinds = _list(data.get("type"))
    tags = _tags(data.get(TAGS_KEY))
    if "Annotation" in kinds:
        return [data], tags
    if "AnnotationPage" in kinds:
        return _page_items(data), tags
    if "AnnotationCollection" not in kinds:
        raise ImportFileError("the file is not an AnnotationCollection, an AnnotationPage or an Annotation")
    items: list = []
    page, seen = data.get("first"), 0
    while page is not None:
        if not isinstance(page, dict):
            raise ImportFileError("the collection's pages are not in the file (only their addresses are)")
        items.extend(_page_items(page))
        page, seen = page.get("next"), seen + 1
        if seen > 100_000:
            raise ImportFileError("the collection has too many pages")
    return items, tags


def _page_items(page: dict) -> list:
    items = page.get("items")
    if not isinstance(items, list):
        raise ImportFileError("an AnnotationPage of the file has no list of items")
    return items


def _tags(value) -> list[ProjectTag]:
    tags = []
    for entry in value if isinstance(value, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            color = entry.get("color")
            tags.append(ProjectTag(entry["name"], color if isinstance(color, str) and color else None))
    return tags


def _text(value, what: str, number: int) -> str:
    if not isinstance(value, str):
        raise ImportFileError(f"annotation {number}: its {what} is not text")
    return value


def _annotation(number: int, item: dict) -> _Parsed:
    target = next((t for t in _list(item.get("target")) if isinstance(t, dict) and "source" in t), None)
    if target is None:
        raise ImportFileError(f"annotation {number}: it has no target with a source and selectors")
    source = _text(target["source"] if not isinstance(target["source"], dict) else target["source"].get("id"),
                   "target's source", number)
    start = end = exact = None
    prefix = suffix = ""
    for selector in _list(target.get("selector")):
        kinds = _list(selector.get("type")) if isinstance(selector, dict) else []
        if "TextPositionSelector" in kinds:
            start, end = selector.get("start"), selector.get("end")
            if type(start) is not int or type(end) is not int:
                raise ImportFileError(f"annotation {number}: its TextPositionSelector's start and end are not "
                                      "whole numbers")
        elif "TextQuoteSelector" in kinds:
            exact = _text(selector.get("exact"), "quote", number)
            prefix = _text(selector.get("prefix", ""), "quote's prefix", number)
            suffix = _text(selector.get("suffix", ""), "quote's suffix", number)
    if start is None and exact is None:
        raise ImportFileError(f"annotation {number}: it has neither a TextPositionSelector nor a TextQuoteSelector")
    tags, notes = [], []
    for body in _list(item.get("body")):
        if not isinstance(body, dict) or not isinstance(body.get("value"), str):
            continue
        purposes = _list(body.get("purpose"))
        (tags if "tagging" in purposes else notes if "commenting" in purposes or not purposes else []).append(
            body["value"])
    if isinstance(item.get("bodyValue"), str):
        notes.append(item["bodyValue"])
    if not tags:
        motivation = next((m for m in _list(item.get("motivation")) if isinstance(m, str)), "highlighting")
        tags = [motivation]
    sha = target.get(SHA_KEY)
    sha = sha.lower() if isinstance(sha, str) and re.fullmatch(r"[0-9a-fA-F]{64}", sha) else sha256_source(source)
    return _Parsed(number, source, sha, start, end, exact, prefix, suffix, tags, "\n\n".join(notes),
                   _creator(item.get("creator")), _time(item.get("created"), number),
                   _time(item.get("modified"), number), _id(item.get("id")))


def _creator(value) -> str:
    value = next(iter(_list(value)), "")
    if isinstance(value, dict):
        value = value.get("name") or value.get("nickname") or ""
    return value if isinstance(value, str) else ""


def _id(value) -> str | None:
    return value if isinstance(value, str) and value else None


def _uuid(item_id: str | None) -> str | None:
    """The UUID of an id ``urn:uuid:<uuid>`` (kept on import), else None (the import gives a new one)."""
    if not item_id or not item_id.lower().startswith("urn:uuid:"):
        return None
    try:
        return str(uuid_module.UUID(item_id[len("urn:uuid:"):]))
    except ValueError:
        return None


def _time(value, number: int) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ImportFileError(f"annotation {number}: its time {safe_repr(str(value))} is not an xsd:dateTime") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _resolve(parsed: list[_Parsed], linking: list[tuple[int, dict]], tags: list[ProjectTag],
             find_articles: FindArticles) -> ProjectData:
    articles: list[ArticleText] = []
    article_index: dict[int, int] = {}  # id(article) -> its index
    candidates: dict[str, Sequence[ArticleText]] = {}
    annotations: list[ProjectAnnotation] = []
    by_id: dict[str, int] = {}
    missing: list[str] = []
    for item in parsed:
        if item.source not in candidates:
            candidates[item.source] = list(find_articles(item.source))
        found = _place(item, candidates[item.source])
        if found is None:
            if not candidates[item.source]:
                missing.append(item.source)
                continue
            raise ImportFileError(f"annotation {item.number}: its quote is not in the article {safe_repr(item.source)}")
        article, start, end = found
        index = article_index.setdefault(id(article), len(articles))
        if index == len(articles):
            articles.append(article)
        _add(annotations, by_id, item, index, start, end)
    if missing:
        raise ImportFileError(f"{len(missing)} annotations are on articles that are not in the library (the first: "
                              f"{safe_repr(missing[0])}); import those articles first")
    return _project(articles, [], tags, annotations, [_link(number, item, by_id) for number, item in linking])


def _by_reference(parsed: list[_Parsed], linking: list[tuple[int, dict]], tags: list[ProjectTag]) -> ProjectData:
    refs: dict[str, int] = {}
    annotations: list[ProjectAnnotation] = []
    by_id: dict[str, int] = {}
    for item in parsed:
        if item.start is None:
            raise ImportFileError(f"annotation {item.number}: it has no TextPositionSelector, and without the "
                                  "article's text its quote cannot be found")
        index = refs.setdefault((item.source, item.sha256), len(refs))
        _add(annotations, by_id, item, index, item.start, item.end)
    article_refs = [ArticleRef(sha256=sha, url=None if sha256_source(source) else source) for source, sha in refs]
    return _project([], article_refs, tags, annotations, [_link(number, item, by_id) for number, item in linking])


def _add(annotations: list[ProjectAnnotation], by_id: dict[str, int], item: _Parsed, article: int, start: int,
         end: int) -> None:
    if item.id is not None:
        by_id.setdefault(item.id, len(annotations))
    for number, tag in enumerate(item.tags):
        annotations.append(ProjectAnnotation(article, start, end, tag, item.note, item.annotator, item.created,
                                             item.modified, _uuid(item.id) if number == 0 else None, item.exact))


def _project(articles, article_refs, tags, annotations, links) -> ProjectData:
    known = {tag.name for tag in tags}
    tags = tags + [ProjectTag(name) for name in dict.fromkeys(a.tag for a in annotations) if name not in known]
    return ProjectData(articles, tags, annotations, links, article_refs)


def _place(item: _Parsed, articles: Sequence[ArticleText]) -> tuple[ArticleText, int, int] | None:
    """The article and span the item selects: where its position and quote agree, else where its quote is."""
    for article in articles:
        if item.start is not None and 0 <= item.start <= item.end <= len(article.text) and (
                item.exact is None or article.text[item.start:item.end] == item.exact):
            return article, item.start, item.end
    if not item.exact:
        return None
    for article in articles:
        spans = _occurrences(article.text, item.prefix + item.exact + item.suffix, len(item.prefix), len(item.exact))
        spans = spans or _occurrences(article.text, item.exact, 0, len(item.exact))
        if spans:
            start = min(spans, key=lambda at: abs(at - (item.start or 0)))
            return article, start, start + len(item.exact)
    return None


def _occurrences(text: str, needle: str, offset: int, length: int, limit: int = 10_000) -> list[int]:
    found, at = [], text.find(needle)
    while at >= 0 and len(found) < limit:
        found.append(at + offset)
        at = text.find(needle, at + 1)
    return found


def _link(number: int, item: dict, by_id: dict[str, int]) -> ProjectLink:
    ends = []
    for target in _list(item.get("target")):
        target_id = target.get("id") if isinstance(target, dict) else target
        if not isinstance(target_id, str) or target_id not in by_id:
            raise ImportFileError(f"link {number}: it names an annotation that is not in the file")
        ends.append(by_id[target_id])
    kinds = [b["value"] for b in _list(item.get("body")) if isinstance(b, dict) and isinstance(b.get("value"), str)
             and "tagging" in _list(b.get("purpose"))]
    notes = [b["value"] for b in _list(item.get("body")) if isinstance(b, dict) and isinstance(b.get("value"), str)
             and "commenting" in _list(b.get("purpose"))]
    return ProjectLink(ends[0], ends[1], kinds[0] if kinds else "", "\n\n".join(notes), _creator(item.get("creator")),
                   _time(item.get("created"), number), _uuid(_id(item.get("id"))))
