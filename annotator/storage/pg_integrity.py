"""What a team server checks itself, whoever writes: the rows every copy of the team's work must be able to take.

Row-level security decides *who* may write a row; these statement triggers refuse rows that no file of ours may
hold, whatever client wrote them (hand-written SQL included), because ``share`` copies the server into a file that
``merge`` checks: one article whose text does not match its SHA-256, or one span past its article's end, would make
every later share of the team unmergeable. (The app's own rules are checked in Python before anything is written.) They fail with
SQLSTATE ``SPCHK``, which ``PostgresStore.save_failure`` words as a refusal.
"""

from __future__ import annotations

from psycopg import sql

_FUNCTIONS = (
    """
CREATE OR REPLACE FUNCTION spanner_check_articles() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp
AS $$
DECLARE
    bad record;
BEGIN
    SELECT n.id INTO bad FROM spanner_new n
    WHERE n.sha256 IS DISTINCT FROM encode(sha256(convert_to(n.text, 'UTF8')), 'hex') LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'SPCHK',
            MESSAGE = format('article %s: its sha256 is not the SHA-256 of its text', bad.id);
    END IF;
    RETURN NULL;
END
$$""",
    # Each article's length is measured once per statement (a 50,000-row import into one 5 MB article reads it once).
    """
CREATE OR REPLACE FUNCTION spanner_check_spans() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp
AS $$
DECLARE
    bad record;
BEGIN
    WITH sizes AS MATERIALIZED (
        SELECT a.id, length(a.text) AS size FROM articles a WHERE a.id IN (SELECT DISTINCT article_id FROM spanner_new)
    )
    SELECT n.start, n."end", n.article_id, s.size INTO bad
    FROM spanner_new n LEFT JOIN sizes s ON s.id = n.article_id
    WHERE n.start < 0 OR n."end" <= n.start OR s.size IS NULL OR n."end" > s.size LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'SPCHK',
            MESSAGE = format('span %s–%s is outside article %s (%s characters long)', bad.start, bad."end",
                             bad.article_id, coalesce(bad.size::text, 'no such article, or of unknown'));
    END IF;
    RETURN NULL;
END
$$""",
)
_CHECKED = (("articles", "spanner_check_articles"), ("annotations", "spanner_check_spans"))


def statements() -> list[sql.Composable]:
    """The SQL that creates or replaces the checking triggers (idempotent: ``db upgrade`` runs it again)."""
    made: list[sql.Composable] = [sql.SQL(function) for function in _FUNCTIONS]
    for table, function in _CHECKED:
        for verb in ("INSERT", "UPDATE"):  # a trigger with transition tables has one event
            trigger, name = sql.Identifier(f"spanner_check_{verb.lower()}"), sql.Identifier(table)
            made.append(sql.SQL("DROP TRIGGER IF EXISTS {} ON {}").format(trigger, name))
            made.append(sql.SQL("CREATE TRIGGER {} AFTER " + verb + " ON {} REFERENCING NEW TABLE AS spanner_new "
                                "FOR EACH STATEMENT EXECUTE FUNCTION " + function + "()").format(trigger, name))
    return made
