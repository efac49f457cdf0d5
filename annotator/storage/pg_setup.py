"""The team server's rules, as SQL its owner runs (``annotator db init`` / ``db upgrade`` / ``db grant``).

* Who is who: ``spanner_team(role, is_admin)`` lists the members; ``spanner_me()`` is the caller's annotators id,
  ``spanner_is_admin()`` is true for the database's owner and for members granted admin.
* Row-level security, forced on every table (the owner too; the owner is an admin): everyone reads everything;
  annotations, links and claim attachments are written only as their own annotator; tags, claims, settings and
  the team only by admins; a member adds only their own annotators row, and adds (but does not change) articles.
* A write that is not allowed is refused with a sentence saying whose row it is, never silently skipped (row-level
  security alone would hide the row, and an edit would "succeed" changing nothing): statement triggers check the
  rows an UPDATE or DELETE touched.
* Foreign keys' ON DELETE CASCADE runs as the table's owner and so passes row-level security: the same triggers
  refuse a cascade that would take a teammate's link or claim attachment with a deleted annotation (the undo could
  not put the teammate's row back).
* Names, notes and titles sort in code-point order (``COLLATE "C"``), as in a SQLite file, whatever the server's
  locale.

Everything here is idempotent: ``apply`` replaces what an earlier run made.
"""

from __future__ import annotations

import importlib
import importlib.util

import psycopg
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..errors import AnnotatorError
from . import pg_integrity

# Bump when the rules below change: ``db upgrade`` re-applies them, and the settings row says which were applied.
SETUP_VERSION = 2
SETUP_KEY = "spanner.server_setup"
TEAM_TABLE = "spanner_team"
# Tables whose rows belong to one annotator: the column naming them, and any other column that must be the writer.
OWN_ROWS = {"annotations": ("annotator_id", "edited_by_id"), "links": ("annotator_id", None),
            "claim_annotations": ("annotator_id", None)}
# Columns compared or sorted as text: code-point order and ASCII-only case folding, as SQLite's BINARY collation.
BINARY_TEXT = (("tags", "name"), ("annotators", "name"), ("claims", "name"), ("annotations", "note"),
               ("articles", "title"))
_DATA_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"

_TEAM_TABLE_SQL = f"""
CREATE TABLE IF NOT EXISTS {TEAM_TABLE} (
    role name PRIMARY KEY,
    is_admin boolean NOT NULL DEFAULT false
)"""

# ``who`` defaults to the caller: a default is evaluated where the function is called, before SECURITY DEFINER
# switches current_user to the function's owner. SECURITY DEFINER lets the policies read the team whatever the
# caller's own privileges; the fixed search_path keeps a caller's objects from standing in for ours.
_FUNCTIONS_SQL = (
    """
CREATE OR REPLACE FUNCTION spanner_me(who text DEFAULT current_user) RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT id FROM annotators WHERE name = who $$""",
    """
CREATE OR REPLACE FUNCTION spanner_is_admin(who text DEFAULT current_user) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba
                   WHERE d.datname = current_database() AND r.rolname = who)
        OR EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = who AND r.rolsuper)
        OR EXISTS (SELECT 1 FROM spanner_team t WHERE t.role = who AND t.is_admin)
$$""",
    # Row-level security only hides the rows a member may not change or delete, so an edit of a teammate's
    # annotation would "succeed" changing nothing. These statement triggers (AFTER, over the rows the statement
    # touched) refuse it instead, naming whose row it is. A foreign key's ON DELETE CASCADE runs as the table's
    # owner (an admin) and passes row-level security, so both current_user and session_user must be the row's
    # annotator or an admin. TG_ARGV: the message for a statement of one's own, the message for a cascade (the row
    # the deleted one hung on went in the same statement); %1$s is the row's annotator.
    """
CREATE OR REPLACE FUNCTION spanner_refuse_teammates_rows() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp
AS $$
DECLARE
    me_now integer := spanner_me(current_user::text);
    me_session integer := spanner_me(session_user::text);
    admin_now boolean := spanner_is_admin(current_user::text);
    admin_session boolean := spanner_is_admin(session_user::text);
    offending record;
    cascaded boolean := false;
BEGIN
    IF admin_now AND admin_session THEN
        RETURN NULL;
    END IF;
    SELECT o.* INTO offending FROM spanner_old o
    WHERE NOT ((admin_now OR o.annotator_id IS NOT DISTINCT FROM me_now)
               AND (admin_session OR o.annotator_id IS NOT DISTINCT FROM me_session))
    LIMIT 1;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    -- A cascade: the row the deleted one hung on is gone in the same statement.
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'links' THEN
        cascaded := NOT EXISTS (SELECT 1 FROM annotations a WHERE a.id = offending.source_id)
                    OR NOT EXISTS (SELECT 1 FROM annotations a WHERE a.id = offending.target_id);
    ELSIF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'claim_annotations' THEN
        cascaded := NOT EXISTS (SELECT 1 FROM annotations a WHERE a.id = offending.annotation_id);
    ELSIF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'annotations' THEN
        cascaded := NOT EXISTS (SELECT 1 FROM articles r WHERE r.id = offending.article_id);
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
        MESSAGE = format(CASE WHEN cascaded THEN TG_ARGV[1] ELSE TG_ARGV[0] END,
                         coalesce((SELECT name FROM annotators WHERE id = offending.annotator_id), 'a teammate'));
END
$$""",
    """
CREATE OR REPLACE FUNCTION spanner_refuse_unless_admin() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp
AS $$
BEGIN
    IF (spanner_is_admin(current_user::text) AND spanner_is_admin(session_user::text))
       OR NOT EXISTS (SELECT 1 FROM spanner_old) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = TG_ARGV[0];
END
$$""",
)

# Each annotator's own rows: what the triggers say, (for a statement of one's own, for a cascade) per operation.
_TEAMMATES_ROWS = {
    ("annotations", "UPDATE"): ("this annotation is %1$s's: only %1$s or a team admin can change it",) * 2,
    ("annotations", "DELETE"): ("this annotation is %1$s's: only %1$s or a team admin can delete it",
                                "this article cannot be deleted: it holds %1$s's annotations, which only %1$s or a "
                                "team admin can delete"),
    ("links", "UPDATE"): ("this link is %1$s's: only %1$s or a team admin can change it",) * 2,
    ("links", "DELETE"): ("this link is %1$s's: only %1$s or a team admin can remove it",
                          "this annotation cannot be deleted: %1$s linked it to another annotation, and only %1$s "
                          "or a team admin can remove that link"),
    ("claim_annotations", "UPDATE"): ("this claim attachment is %1$s's: only %1$s or a team admin can change it",) * 2,
    ("claim_annotations", "DELETE"): ("this claim attachment is %1$s's: only %1$s or a team admin can detach it",
                                      "this annotation cannot be deleted: %1$s attached it to a claim, and only %1$s "
                                      "or a team admin can detach it"),
}
# Tables only admins write (any table not named here or in OWN_ROWS too): what deleting from one says.
_ADMIN_ONLY_WORDS = {"articles": "only the team's admins delete articles",
                     "tags": "only the team's admins change the tags", "claims": "only the team's admins change claims",
                     "settings": "only the team's admins change the team's settings",
                     "spanner_team": "only the team's admins change who is on the team"}

_ME = "(SELECT spanner_me())"  # a scalar subquery: evaluated once per statement, not once per row
_ADMIN = "(SELECT spanner_is_admin())"


def apply(conn: Connection) -> None:
    """Create or replace every server-side rule (idempotent: ``db upgrade`` runs it again). Run as the owner."""
    check_owner(conn)
    conn.exec_driver_sql(_TEAM_TABLE_SQL)
    for statement in _FUNCTIONS_SQL:
        conn.exec_driver_sql(statement)
    _binary_text(conn)
    for table in _tables(conn):
        _protect(conn, table)
        _guard(conn, table)
    _install_change_notices(conn)
    for statement in pg_integrity.statements():
        _run(conn, statement)
    # Only the team may connect: PostgreSQL lets every role (PUBLIC) connect to a new database and make temporary
    # tables there, and a stranger connected could take the team's write lock or send it notices.
    database = sql.Identifier(conn.execute(text("SELECT current_database()::text")).scalar())
    _run(conn, sql.SQL("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC").format(database))
    for role in conn.execute(text(f"SELECT role::text FROM {TEAM_TABLE} t JOIN pg_roles r ON r.rolname = t.role")
                             ).scalars():
        _grant_privileges(conn, role)  # a table a newer schema added is opened to the team too
    conn.execute(text("INSERT INTO settings (key, value) VALUES (:key, :value) "
                      "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"),
                 {"key": SETUP_KEY, "value": str(SETUP_VERSION)})


def grant(conn: Connection, role: str, admin: bool, revoke: bool = False) -> None:
    """Let the existing PostgreSQL ``role`` work in this database (as an admin with ``admin``), or stop it."""
    check_owner(conn)
    if setup_version(conn) is None:
        raise AnnotatorError("this database has no team rules yet (its schema was made some other way): apply them "
                             "first with `annotator db upgrade URL`")
    row = conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = :role"), {"role": role}).first()
    shown = sql.Identifier(role).as_string(conn.connection.driver_connection)
    if row is None:
        raise AnnotatorError(f"there is no role {shown} on this server: the server's administrator creates it "
                             f"first: CREATE ROLE {shown} LOGIN PASSWORD '…'")
    if revoke:
        conn.execute(text(f"DELETE FROM {TEAM_TABLE} WHERE role = :role"), {"role": role})
        _revoke_privileges(conn, role)
        return
    if row.rolsuper and not admin:
        raise AnnotatorError(f"{shown} is a superuser, which row-level security does not hold back: grant it "
                             "--admin, or give the analyst an ordinary role")
    _grant_privileges(conn, role)
    conn.execute(text(f"INSERT INTO {TEAM_TABLE} (role, is_admin) VALUES (:role, :admin) "
                      "ON CONFLICT (role) DO UPDATE SET is_admin = EXCLUDED.is_admin"), {"role": role, "admin": admin})
    conn.execute(text("INSERT INTO annotators (name) VALUES (:role) ON CONFLICT (name) DO NOTHING"), {"role": role})


def check_owner(conn: Connection) -> None:
    """Refuse unless connected as the database's owner (who owns the tables and so may change their rules)."""
    me, owner, database = conn.execute(text(
        "SELECT current_user::text, pg_get_userbyid(datdba)::text, current_database()::text FROM pg_database "
        "WHERE datname = current_database()")).one()
    if me != owner:
        raise AnnotatorError(f"only the owner of the database {database} sets up its team server: connect as "
                             f"{owner}, not {me}")


def user_tables(conn: Connection) -> list[str]:
    """The tables in the database's public schema (an empty list: nothing is there yet)."""
    return list(conn.execute(text("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' "
                                  "ORDER BY tablename")).scalars())


def setup_version(conn: Connection) -> int | None:
    """The version of these rules last applied (None: never, or the database has no settings table yet)."""
    if conn.execute(text("SELECT to_regclass('public.settings')")).scalar() is None:
        return None
    value = conn.execute(text("SELECT value FROM settings WHERE key = :key"), {"key": SETUP_KEY}).scalar()
    return int(value) if value and value.isdigit() else None


# -- the pieces -------------------------------------------------------------------------------------


def _run(conn: Connection, statement: sql.Composable) -> None:
    """Run composed SQL on the connection's own transaction (psycopg quotes its identifiers and literals)."""
    raw = conn.connection.driver_connection
    try:
        raw.execute(statement)
    except psycopg.Error as exc:
        words = (exc.diag.message_primary or str(exc)).strip()
        raise AnnotatorError(f"the server refused to set up the team's rules ({words}): "
                             f"{statement.as_string(raw)[:200]}") from None


def _tables(conn: Connection) -> list[str]:
    return user_tables(conn)


def _protect(conn: Connection, table: str) -> None:
    """Row-level security on ``table``: everyone reads; who may write depends on the table (see the module doc)."""
    name = sql.Identifier(table)
    _run(conn, sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(name))
    _run(conn, sql.SQL("ALTER TABLE {} FORCE ROW LEVEL SECURITY").format(name))
    old = conn.execute(text("SELECT policyname::text FROM pg_policies WHERE schemaname = 'public' "
                            "AND tablename = :table AND policyname LIKE 'spanner%'"), {"table": table}).scalars()
    for policy in list(old):
        _run(conn, sql.SQL("DROP POLICY {} ON {}").format(sql.Identifier(policy), name))
    # Separate per command, never FOR ALL: a FOR ALL policy would also apply to the functions' own reads of the
    # team, and spanner_is_admin() reading spanner_team would then call itself. UPDATE and DELETE see every row, so
    # a write that is not allowed is refused out loud (WITH CHECK, or the triggers of ``_guard``), never skipped.
    policies = [("spanner_read", "SELECT", "true", None), ("spanner_admin_insert", "INSERT", None, _ADMIN),
                ("spanner_admin_update", "UPDATE", "true", _ADMIN)]
    if table in OWN_ROWS:
        owner_column, editor_column = OWN_ROWS[table]
        mine = f"{_quoted(owner_column)} = {_ME}"
        check = mine if editor_column is None else \
            f"{mine} AND ({_quoted(editor_column)} IS NULL OR {_quoted(editor_column)} = {_ME})"
        policies += [("spanner_own_insert", "INSERT", None, check), ("spanner_own_update", "UPDATE", "true", check),
                     ("spanner_delete", "DELETE", "true", None)]
    elif table == "annotators":  # a name no row uses any more may go (an undo takes back the one it added)
        policies += [("spanner_self_insert", "INSERT", None, "name = current_user::text"),
                     ("spanner_self_delete", "DELETE", f"{_ADMIN} OR name = current_user::text", None)]
    else:
        policies.append(("spanner_delete", "DELETE", "true", None))
    if table == "articles":
        policies.append(("spanner_member_insert", "INSERT", None, "true"))
    for policy, verb, using, check in policies:
        clauses = f" USING ({using})" if using is not None else ""
        clauses += f" WITH CHECK ({check})" if check is not None else ""
        # The expressions above are fixed text of this module, never input: only the names need quoting.
        _run(conn, sql.SQL("CREATE POLICY {} ON {} FOR " + verb + clauses).format(sql.Identifier(policy), name))


def _guard(conn: Connection, table: str) -> None:
    """The statement triggers that refuse a change to a teammate's rows, or a member's delete in an admins' table."""
    name = sql.Identifier(table)
    for verb in ("UPDATE", "DELETE"):
        trigger = sql.Identifier(f"spanner_guard_{verb.lower()}")
        _run(conn, sql.SQL("DROP TRIGGER IF EXISTS {} ON {}").format(trigger, name))
        if table in OWN_ROWS:
            function, words = "spanner_refuse_teammates_rows", _TEAMMATES_ROWS[(table, verb)]
        elif verb == "DELETE" and table != "annotators":  # UPDATE there: WITH CHECK already refuses out loud
            function = "spanner_refuse_unless_admin"
            words = (_ADMIN_ONLY_WORDS.get(table, f"only the team's admins change {table}"),)
        else:
            continue
        _run(conn, sql.SQL("CREATE TRIGGER {} AFTER " + verb + " ON {} REFERENCING OLD TABLE AS spanner_old "
                           "FOR EACH STATEMENT EXECUTE FUNCTION " + function + "({})").format(
            trigger, name, sql.SQL(", ").join(sql.Literal(w) for w in words)))


def _quoted(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _binary_text(conn: Connection) -> None:
    """Give the text columns that are sorted or searched SQLite's order (``COLLATE "C"``), where not yet so."""
    for table, column in BINARY_TEXT:
        row = conn.execute(text(
            "SELECT format_type(a.atttypid, a.atttypmod), c.collname::text FROM pg_attribute a "
            "JOIN pg_collation c ON c.oid = a.attcollation "
            "WHERE a.attrelid = to_regclass(:table) AND a.attname = :column AND NOT a.attisdropped"),
            {"table": f"public.{table}", "column": column}).first()
        if row is None or row[1] == "C":
            continue
        # format_type's answer is the server's own spelling of the column's type (such as character varying(100)).
        _run(conn, sql.SQL("ALTER TABLE {} ALTER COLUMN {} TYPE " + row[0] + ' COLLATE "C"').format(
            sql.Identifier(table), sql.Identifier(column)))


def _install_change_notices(conn: Connection) -> None:
    """The triggers that tell other clients of each commit (``pg_listen``), once that module exists."""
    name = f"{__package__}.pg_listen"
    if importlib.util.find_spec(name) is None:
        return
    module = importlib.import_module(name)
    if hasattr(module, "install_triggers"):
        module.install_triggers(conn)


def _grant_privileges(conn: Connection, role: str) -> None:
    who = sql.Identifier(role)
    database = sql.Identifier(conn.execute(text("SELECT current_database()::text")).scalar())
    _run(conn, sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(database, who))
    _run(conn, sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(who))
    for table in _tables(conn):
        privileges = "SELECT" if table == "alembic_version" else _DATA_PRIVILEGES
        _run(conn, sql.SQL("GRANT " + privileges + " ON {} TO {}").format(sql.Identifier(table), who))
    _run(conn, sql.SQL("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {}").format(who))


def _revoke_privileges(conn: Connection, role: str) -> None:
    who = sql.Identifier(role)
    database = sql.Identifier(conn.execute(text("SELECT current_database()::text")).scalar())
    for table in _tables(conn):
        _run(conn, sql.SQL("REVOKE ALL ON {} FROM {}").format(sql.Identifier(table), who))
    _run(conn, sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {}").format(who))
    _run(conn, sql.SQL("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM {}").format(database, who))
