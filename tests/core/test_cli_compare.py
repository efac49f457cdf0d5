"""The command line for comparing coverage: ``claim add``, ``claim attach``, ``claims``, ``link``, ``links``, ``align``.

Each command is run in-process through main(), its output checked against what the database holds (read back
through the Workspace), and each refusal checked to leave the database as it was.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest

from annotator.align import align_texts
from annotator.cli import main
from annotator.commands import AddAnnotations, AddClaim, AnnotationSpec
from annotator.db import set_setting
from annotator.export import CSV_COLUMNS
from annotator.formats.claims_csv import CLAIM_COLUMNS, NOT_COVERED, column_heading, write_matrix_csv
from annotator.formats.links_csv import LINK_COLUMNS, LinkEnd, LinkRecord, write_links
from annotator.importer import ArticleText, ImportArticles, import_paths
from annotator.workspace import Workspace
from tests.cli_support import assert_error, run
from tests.conftest import DATA_DIR

# (article, start, end, tag) of the annotations the fixture makes; their UUIDs are in this order.
SPANS = [(1, 0, 20, "allegation"), (2, 0, 30, "allegation"), (3, 0, 25, "denial"), (3, 30, 60, "denial"),
         (1, 40, 70, "evidence")]





def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def workspace(path: Path) -> Workspace:
    return Workspace.open(path, create=False)


@pytest.fixture
def dbfile(tmp_path) -> Path:
    """The three sample articles with SPANS annotated by alice, who is also the analyst setting."""
    path = tmp_path / "team.db"
    with Workspace.open(path) as ws:
        import_paths(ws.db, [DATA_DIR])
        AddAnnotations([AnnotationSpec(*span) for span in SPANS], "alice").do(ws.db)
        with ws.db.transaction() as session:
            set_setting(session, "analyst", "alice")
    return path


def uuids_of(path: Path) -> list[str]:
    """The fixture's annotation UUIDs in SPANS order."""
    with workspace(path) as ws:
        by_span = {(a.article_id, a.start, a.end, a.tag): a.uuid for a in ws.annotations()}
    return [by_span[span] for span in SPANS]


def snapshot(path: Path) -> tuple:
    """Everything the comparing commands may write: claims, attachments, links."""
    with workspace(path) as ws:
        claims = ws.claims()
        return (claims, [ws.claim_annotations(claim.id) for claim in claims], ws.links())


# --- claim add / claim attach -----------------------------------------------------------------


def test_claim_add_prints_only_the_new_id(dbfile, capsys):
    code, out, err = run(capsys, "claim", "add", dbfile, "  Syria built a crematorium ", "--note", "the U.S. claim")
    assert (code, out, err) == (0, "1\n", "")
    code, out, _ = run(capsys, "claim", "add", dbfile, "Bodies were burned")
    assert (code, out) == (0, "2\n")
    with workspace(dbfile) as ws:
        first, second = ws.claims()
    assert (first.id, first.name, first.note, first.created_by) == (1, "Syria built a crematorium", "the U.S. claim",
                                                                    "alice")
    assert (second.id, second.name, second.note) == (2, "Bodies were burned", "")


@pytest.mark.parametrize("name, fragment", [("syria BUILT a crematorium", "already a claim"),
                                            (" ", "claim name"), ("a" * 1000, "claim name")])
def test_claim_add_refuses_and_writes_nothing(dbfile, capsys, name, fragment):
    run(capsys, "claim", "add", dbfile, "Syria built a crematorium")
    before = snapshot(dbfile)
    code, out, err = run(capsys, "claim", "add", dbfile, name)
    assert_error(code, err, fragment)
    assert out == "" and snapshot(dbfile) == before


def test_claim_attach_by_id_and_by_uuid_says_how_many(dbfile, capsys):
    spans = uuids_of(dbfile)
    run(capsys, "claim", "add", dbfile, "Syria built a crematorium")
    code, out, err = run(capsys, "claim", "attach", dbfile, "1", spans[0], spans[2])
    assert (code, out, err) == (0, "attached 2 annotations to claim 1\n", "")
    with workspace(dbfile) as ws:
        claim_uuid = ws.claim(1).uuid
    code, out, _ = run(capsys, "claim", "attach", dbfile, claim_uuid, spans[0], f" {spans[1]} ")
    assert (code, out) == (0, "attached 1 annotation to claim 1 (1 already attached)\n")
    with workspace(dbfile) as ws:
        assert sorted(ws.claim_annotations(1)) == sorted([spans[0], spans[1], spans[2]])
        assert ws.claim(1).annotation_count == 3


@pytest.mark.parametrize("claim, which, fragment", [
    ("9", 0, "there is no claim '9'"), ("not-a-uuid", 0, "there is no claim"), ("1", None, "there is no annotation"),
])
def test_claim_attach_refuses_unknown_ids_and_attaches_none(dbfile, capsys, claim, which, fragment):
    spans = uuids_of(dbfile)
    run(capsys, "claim", "add", dbfile, "Syria built a crematorium")
    before = snapshot(dbfile)
    argv = ["claim", "attach", dbfile, claim, spans[0], spans[1] if which == 0 else "no-such-annotation"]
    code, out, err = run(capsys, *argv)
    assert_error(code, err, fragment)
    assert out == "" and snapshot(dbfile) == before


def test_claim_needs_an_action(dbfile, capsys):
    code, _, err = run(capsys, "claim", dbfile, "x")
    assert_error(code, err, "invalid choice")


def test_undecodable_values_are_refused_by_name(dbfile, capsys):
    bad = os.fsdecode(b"caf\xe9")
    code, _, err = run(capsys, "claim", "add", dbfile, bad)
    assert_error(code, err, "NAME 'caf\\udce9' is not valid text")
    code, _, err = run(capsys, "link", dbfile, bad, "x", "supports")
    assert_error(code, err, "SOURCE_UUID")
    code, _, err = run(capsys, "link", dbfile, "x", "y", bad)
    assert_error(code, err, "TYPE")
    assert snapshot(dbfile) == ([], [], [])


# --- claims: the coverage matrix ----------------------------------------------------------------


@pytest.fixture
def claimed(dbfile, capsys) -> Path:
    """Claim 1 is covered by articles 1 (allegation, evidence), 2 (allegation) and 3 (denial x2); claim 2 by none."""
    spans = uuids_of(dbfile)
    run(capsys, "claim", "add", dbfile, "Syria built a crematorium", "--note", "the U.S. claim")
    run(capsys, "claim", "add", dbfile, "Bodies were burned")
    code, _, err = run(capsys, "claim", "attach", dbfile, "1", *spans)
    assert code == 0, err
    return dbfile


def test_claims_json_lists_each_claim_with_the_articles_covering_it(claimed, capsys):
    code, out, err = run(capsys, "claims", claimed, "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    with workspace(claimed) as ws:
        matrix, claims = ws.coverage(), ws.claims()
        outlets = {article.id: article.outlet for article in ws.articles()}
    assert [list(entry) for entry in data] == [["id", "name", "note", "articles"]] * 2
    assert [(entry["id"], entry["name"], entry["note"]) for entry in data] == [(c.id, c.name, c.note) for c in claims]
    first, second = data
    assert [list(article) for article in first["articles"]] == [["article_id", "outlet", "tags"]] * 3
    expected = {}
    for article, _start, _end, tag in SPANS:
        expected.setdefault(article, {}).setdefault(tag, 0)
        expected[article][tag] += 1
    assert {a["article_id"]: a["tags"] for a in first["articles"]} == expected
    assert all(a["outlet"] == outlets[a["article_id"]] for a in first["articles"])
    assert [a["article_id"] for a in first["articles"]] == [c.article_id for c in matrix.articles_covering(1)]
    assert second["articles"] == []


def test_claims_table_shows_counts_and_not_covered(claimed, capsys):
    code, out, err = run(capsys, "claims", claimed)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["claim", "name", "coverage", "article", "outlet", "tags"]
    assert "Syria built a crematorium" in lines[1] and "3 of 3" in lines[1]
    assert lines[1].endswith("allegation 1; evidence 1")
    assert any(line.endswith("denial 2") for line in lines[2:4])
    assert "Bodies were burned" in lines[4] and "0 of 3" in lines[4] and lines[4].endswith(NOT_COVERED)


def test_claims_with_no_claims(dbfile, capsys):
    assert run(capsys, "claims", dbfile)[1].startswith("no claims yet; add one with `annotator claim add")
    assert json.loads(run(capsys, "claims", dbfile, "--json")[1]) == []


def test_claims_csv_has_a_row_per_claim_and_article(claimed, capsys, tmp_path):
    out_file = tmp_path / "claims.csv"
    code, out, err = run(capsys, "claims", claimed, "--csv", out_file)
    assert (code, err) == (0, "")
    assert out == f"exported 6 rows (2 claims × 3 articles) to {out_file}\n"
    rows = read_csv(out_file)
    with workspace(claimed) as ws:
        matrix, articles = ws.coverage(), {a.id: a for a in ws.articles()}
    tags = [tag.name for tag in matrix.tags]
    assert list(rows[0]) == [*CLAIM_COLUMNS, *(f"tag_{name}" for name in tags)]
    assert [(int(r["claim_id"]), int(r["article_id"])) for r in rows] == [
        (claim.id, column.article_id) for claim in matrix.claims for column in matrix.columns]
    claims = {claim.id: claim for claim in matrix.claims}
    for row in rows:
        claim, article = claims[int(row["claim_id"])], articles[int(row["article_id"])]
        cell = matrix.cell(claim.id, article.id)
        assert (row["claim_uuid"], row["claim_name"], row["claim_note"]) == (claim.uuid, claim.name, claim.note)
        assert (row["article_uuid"], row["article_title"], row["article_outlet"], row["article_published"]) == (
            article.uuid, article.title, article.outlet, article.published or "")
        assert row["covered"] == ("1" if cell.covered else "0")
        assert row["annotation_uuids"].split() == list(cell.annotation_uuids)
        assert {name: int(row[f"tag_{name}"]) for name in tags} == {name: dict(cell.tags).get(name, 0)
                                                                    for name in tags}
    assert sum(row["covered"] == "1" for row in rows) == 3


def test_claims_csv_neutralises_formula_cells(dbfile, capsys, tmp_path):
    run(capsys, "claim", "add", dbfile, "=HYPERLINK(\"http://x\")", "--note", "+1 more")
    run(capsys, "claims", dbfile, "--csv", tmp_path / "c.csv")
    row = read_csv(tmp_path / "c.csv")[0]
    assert (row["claim_name"], row["claim_note"]) == ("'=HYPERLINK(\"http://x\")", "'+1 more")


def test_claims_json_and_csv_are_either_or(claimed, capsys, tmp_path):
    code, _, err = run(capsys, "claims", claimed, "--json", "--csv", tmp_path / "c.csv")
    assert_error(code, err, "not allowed with argument")
    assert not (tmp_path / "c.csv").exists()


def test_a_csv_that_cannot_be_written_leaves_nothing(claimed, capsys, tmp_path):
    code, _, err = run(capsys, "claims", claimed, "--csv", tmp_path / "missing" / "c.csv")
    assert_error(code, err, "does not exist")
    before = claimed.read_bytes()
    code, _, err = run(capsys, "links", claimed, "--csv", claimed)
    assert_error(code, err)
    assert claimed.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["team.db"]


def test_write_matrix_csv_writes_the_grid_analysts_read(claimed, tmp_path):
    with workspace(claimed) as ws:
        matrix = ws.coverage()
        ws.run(AddClaim("-1 for the denial"))
        matrix_with_formula = ws.coverage()
        path = tmp_path / "matrix.csv"
        assert write_matrix_csv(matrix, path) == 2
        with open(path, encoding="utf-8-sig", newline="") as handle:
            grid = list(csv.reader(handle))
        assert grid[0] == ["claim", *(column_heading(column) for column in matrix.columns)]
        first = matrix.columns[0]
        assert grid[0][1] == f"{first.outlet} — {first.title} ({first.published})"
        by_article = dict(zip([c.article_id for c in matrix.columns], grid[1][1:], strict=True))
        assert by_article == {1: "allegation 1; evidence 1", 2: "allegation 1", 3: "denial 2"}
        assert grid[2] == ["Bodies were burned", *[NOT_COVERED] * 3]
        write_matrix_csv(matrix_with_formula, path)
        with open(path, encoding="utf-8-sig", newline="") as handle:
            assert list(csv.reader(handle))[3][0] == "'-1 for the denial"
        with pytest.raises(Exception, match="database"):
            write_matrix_csv(matrix, claimed)  # the open database is never overwritten
    assert sorted(p.name for p in tmp_path.iterdir()) == ["matrix.csv", "team.db"]


# --- link / links ------------------------------------------------------------------------------


def test_link_prints_the_new_uuid_and_stores_the_link(dbfile, capsys):
    spans = uuids_of(dbfile)
    code, out, err = run(capsys, "link", dbfile, spans[2], spans[0], "responds-to", "--note", "the denial")
    assert code == 0 and err == ""
    code, out2, _ = run(capsys, "link", dbfile, spans[1], spans[0], "repeats", "--annotator", " bob ")
    with workspace(dbfile) as ws:
        first, second = ws.links()
    assert out == first.uuid + "\n" and out2 == second.uuid + "\n"
    assert (first.source, first.target, first.type, first.note, first.annotator) == (
        spans[2], spans[0], "responds-to", "the denial", "alice")
    assert (second.source, second.target, second.type, second.annotator) == (spans[1], spans[0], "repeats", "bob")


@pytest.mark.parametrize("ends, link_type, fragment", [
    ((0, 0), "supports", "cannot be linked to itself"),
    ((0, 1), "agrees", "there is no link type 'agrees'; the types are: responds-to, supports"),
    ((0, None), "supports", "there is no annotation"),
    ((0, 1), "repeats", "already linked"),
])
def test_link_refuses_and_writes_nothing(dbfile, capsys, ends, link_type, fragment):
    spans = uuids_of(dbfile)
    run(capsys, "link", dbfile, spans[0], spans[1], "repeats")
    before = snapshot(dbfile)
    target = spans[ends[1]] if ends[1] is not None else "no-such-annotation"
    code, out, err = run(capsys, "link", dbfile, spans[ends[0]], target, link_type, "--annotator", "carol")
    assert_error(code, err, fragment)
    assert out == "" and snapshot(dbfile) == before
    with workspace(dbfile) as ws:
        assert "carol" not in ws.annotators()


@pytest.fixture
def linked(dbfile, capsys) -> Path:
    spans = uuids_of(dbfile)
    run(capsys, "link", dbfile, spans[2], spans[0], "responds-to", "--note", "=1+1")
    run(capsys, "link", dbfile, spans[4], spans[1], "supports")
    return dbfile


def test_links_json_shape(linked, capsys):
    code, out, err = run(capsys, "links", linked, "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    with workspace(linked) as ws:
        links = ws.links()
    assert [list(entry) for entry in data] == [["uuid", "source", "target", "type", "note", "annotator",
                                                "created_at"]] * 2
    for entry, link in zip(data, links, strict=True):
        assert (entry["uuid"], entry["source"], entry["target"], entry["type"], entry["note"], entry["annotator"]) == (
            link.uuid, link.source, link.target, link.type, link.note, link.annotator)
        assert entry["created_at"].endswith("Z")
        assert entry["created_at"] == link.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_links_table_shows_type_and_both_excerpts(linked, capsys):
    code, out, _ = run(capsys, "links", linked)
    with workspace(linked) as ws:
        text = ws.article(3).text
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["type", "source", "target"]
    assert lines[1].startswith("responds-to") and "3:0-25 denial" in lines[1] and "→  1:0-20 allegation" in lines[1]
    assert text[:10] in lines[1]
    assert lines[2].startswith("supports")
    assert run(capsys, "links", linked.parent / "none.db")[0] == 1


def test_links_csv_spells_out_both_ends(linked, capsys, tmp_path):
    out_file = tmp_path / "links.csv"
    code, out, _ = run(capsys, "links", linked, "--csv", out_file)
    assert (code, out) == (0, f"exported 2 links to {out_file}\n")
    rows = read_csv(out_file)
    assert list(rows[0]) == LINK_COLUMNS
    with workspace(linked) as ws:
        links = ws.links()
        for row, link in zip(rows, links, strict=True):
            assert (row["uuid"], row["type"], row["annotator"]) == (link.uuid, link.type, link.annotator)
            assert row["created_at"] == link.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            for side, uuid in (("source", link.source), ("target", link.target)):
                annotation = ws.annotation(uuid)
                text = ws.article(annotation.article_id).text
                assert row[f"{side}_uuid"] == uuid
                assert (int(row[f"{side}_article_id"]), int(row[f"{side}_start"]), int(row[f"{side}_end"])) == (
                    annotation.article_id, annotation.start, annotation.end)
                assert row[f"{side}_text"] == text[annotation.start:annotation.end]
                assert row[f"{side}_tag"] == annotation.tag
    assert [row["note"] for row in rows] == ["'=1+1", ""]  # neutralised as a formula


def test_links_with_no_links(dbfile, capsys, tmp_path):
    assert run(capsys, "links", dbfile)[1].startswith("no links yet; make one with `annotator link")
    assert json.loads(run(capsys, "links", dbfile, "--json")[1]) == []
    run(capsys, "links", dbfile, "--csv", tmp_path / "l.csv")
    assert read_csv(tmp_path / "l.csv") == []


def test_export_keeps_its_columns_with_claims_and_links(linked, capsys, tmp_path):
    run(capsys, "claim", "add", linked, "A claim")
    run(capsys, "claim", "attach", linked, "1", uuids_of(linked)[0])
    code, _, _ = run(capsys, "export", linked, tmp_path / "a.csv")
    assert code == 0 and list(read_csv(tmp_path / "a.csv")[0]) == CSV_COLUMNS


# --- align -------------------------------------------------------------------------------------


@pytest.fixture
def copied(dbfile) -> tuple[Path, str]:
    """Article 4 reprints a long passage of article 1 with its quotes and dashes changed."""
    with workspace(dbfile) as ws:
        source = ws.article(1).text
        passage = source[400:1000]
        reprint = "A different opening sentence about other news.\n\n" + passage.replace("'", "’") + "\n\nThe end."
        ImportArticles([ArticleText(text=reprint, title="Reprint", outlet="Copycat")]).do(ws.db)
    return dbfile, passage


def test_align_json_gives_offsets_into_each_article(copied, capsys):
    dbfile, passage = copied
    code, out, err = run(capsys, "align", dbfile, "1", "4", "3")
    with workspace(dbfile) as ws:
        texts = {number: ws.article(number).text for number in (1, 3, 4)}
    assert code == 0 and err == ""
    assert out.splitlines()[0].split()[:3] == ["a", "a_start", "a_end"]
    code, out, _ = run(capsys, "align", dbfile, "1", "4", "3", "--json")
    data = json.loads(out)
    assert data and all(list(entry) == ["a", "a_start", "a_end", "b", "b_start", "b_end", "similarity"]
                        for entry in data)
    expected = align_texts(texts)
    assert [(e["a"], e["a_start"], e["a_end"], e["b"], e["b_start"], e["b_end"], e["similarity"]) for e in data] == [
        (p.a, p.a_start, p.a_end, p.b, p.b_start, p.b_end, p.similarity) for p in expected]
    for entry in data:
        assert entry["a"] < entry["b"] and 0 <= entry["similarity"] <= 1
        assert 0 <= entry["a_start"] < entry["a_end"] <= len(texts[entry["a"]])
        assert 0 <= entry["b_start"] < entry["b_end"] <= len(texts[entry["b"]])
    reprint = [e for e in data if (e["a"], e["b"]) == (1, 4)]
    assert len(reprint) == 1
    found = texts[4][reprint[0]["b_start"]:reprint[0]["b_end"]]
    assert len(found) > 0.9 * len(passage) and found in passage.replace("'", "’")


def test_align_by_uuid_and_min_chars(copied, capsys):
    dbfile, passage = copied
    with workspace(dbfile) as ws:
        first, reprint = ws.article(1).uuid, ws.article(4).uuid
    data = json.loads(run(capsys, "align", dbfile, first, reprint, "--json")[1])
    assert [(e["a"], e["b"]) for e in data] == [(1, 4)]
    longer = str(len(passage) * 2)
    code, out, _ = run(capsys, "align", dbfile, "1", "4", "--min-chars", longer)
    assert (code, out) == (0, f"no shared passages of {int(longer):,} characters or more between articles 1, 4\n")


@pytest.mark.parametrize("argv, fragment", [
    (["1"], "two different articles"), (["1", "1"], "two different articles"), (["1", "9"], "there is no article"),
    (["1", "2", "--min-chars", "0"], "whole number of 1 or more"), (["1", "2", "--min-chars", "²"], "whole number"),
])
def test_align_refuses(dbfile, capsys, argv, fragment):
    code, out, err = run(capsys, "align", dbfile, *argv)
    assert_error(code, err, fragment)
    assert out == ""


def test_help_lists_the_comparing_commands_each_with_its_section_of_the_reference(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # one line per command
    reference = (Path(__file__).resolve().parents[2] / "docs" / "CLI.md").read_text(encoding="utf-8")
    assert main(["--help"]) == 0
    listing = capsys.readouterr().out.split("commands:\n")[1].split("\n\n")[0].splitlines()[1:]
    summaries = {line.split()[0]: line.split()[1:] for line in listing}
    assert list(summaries)[-6:] == ["claim", "claims", "link", "links", "align", "db"]  # db: a team server's set-up
    for command in ("claim add", "claim attach", "claims", "link", "links", "align"):
        assert len(summaries[command.split()[0]]) >= 3
        assert f"\n## `{command} DB" in reference, f"docs/CLI.md has no section for {command}"
        assert main([*command.split(), "--help"]) == 0
        text = " ".join(capsys.readouterr().out.split())
        assert f"docs/CLI.md (section `{command}`)" in text


def test_the_link_writer_needs_no_database_and_writes_raw_cells_when_asked():
    """formats.links_csv takes plain records; spreadsheet_safe=False keeps a formula-looking cell byte-exact."""
    source = LinkEnd("s-uuid", 1, 0, 4, "=SUM", "allegation")
    target = LinkEnd("t-uuid", 2, 5, 9, "deny", "denial")
    record = LinkRecord("l-uuid", "responds-to", source, target, "@note", "alice", "2026-12-01 10:00:00.000000")
    for safe, expected in ((True, ("'=SUM", "'@note")), (False, ("=SUM", "@note"))):
        handle = io.BytesIO()
        assert write_links(handle, [record], spreadsheet_safe=safe) == 1
        row = next(csv.DictReader(io.StringIO(handle.getvalue().decode("utf-8-sig"), newline="")))
        assert (row["source_text"], row["note"]) == expected
        assert (row["target_uuid"], row["target_start"], row["target_end"], row["target_tag"]) == (
            "t-uuid", "5", "9", "denial")
        assert row["created_at"] == "2026-12-01T10:00:00.000000Z"
