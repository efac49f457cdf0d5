"""Teammates' commits as they happen: NOTIFY triggers on the server, and the connection that listens for them.

Every table the app shows has statement-level triggers (one per operation: PostgreSQL allows transition tables only
on single-event triggers) that send one notification on ``spanner_changes`` per statement, so a 50,000-row COPY is
one notice. Its payload is JSON, far below PostgreSQL's 8,000-byte limit:
``{"t": table, "op": "INSERT"|"UPDATE"|"DELETE", "articles": [ids], "uuids": [annotation uuids]}``; ``uuids`` only
when there are at most ``FEW``, ``"everything": true`` when even the articles are too many to list. After ``FEW``
notices in one transaction for a table, the rest of that transaction's say ``everything`` for it (identical
payloads, which PostgreSQL sends once), so a row-by-row import does not flood the listeners.

``Listener`` holds its own autocommit connection (never one from the pool, whose connections run transactions)
and ignores the notices of this process's own pooled connections: those changes were announced by the commands
that made them.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine

CHANNEL = "spanner_changes"
FEW = 50  # annotation uuids (and article ids) listed in one notice; more: the articles only, or everything
TABLES = ("annotations", "articles", "tags", "claims", "claim_annotations", "links", "annotators", "settings")
# A listener that lost its server tries again after 0.5 s, then twice as long each time up to 15 s: each try
# may hold the caller (the app's event loop) up to CONNECT_TIMEOUT_S when the network is down.
RECONNECT_FIRST_S, RECONNECT_MAX_S = 0.5, 15.0
CONNECT_TIMEOUT_S = 2

_FUNCTION = f"""
CREATE OR REPLACE FUNCTION spanner_notify_changes() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $fn$
DECLARE
    articles integer[];
    uuids text[];
    sent integer := coalesce(nullif(current_setting('spanner.notices_' || TG_TABLE_NAME, true), ''), '0')::integer;
    message jsonb := jsonb_build_object('t', TG_TABLE_NAME, 'op', TG_OP);
BEGIN
    IF TG_OP = 'TRUNCATE' OR sent >= {FEW} THEN
        message := message || '{{"everything": true}}';
    ELSIF TG_TABLE_NAME = 'annotations' THEN
        IF TG_OP = 'INSERT' THEN
            articles := ARRAY(SELECT DISTINCT article_id FROM spanner_new LIMIT {FEW + 1});
            uuids := ARRAY(SELECT uuid FROM spanner_new LIMIT {FEW + 1});
        ELSIF TG_OP = 'DELETE' THEN
            articles := ARRAY(SELECT DISTINCT article_id FROM spanner_old LIMIT {FEW + 1});
            uuids := ARRAY(SELECT uuid FROM spanner_old LIMIT {FEW + 1});
        ELSE
            articles := ARRAY(SELECT article_id FROM spanner_new UNION SELECT article_id FROM spanner_old
                              LIMIT {FEW + 1});
            uuids := ARRAY(SELECT uuid FROM spanner_new UNION SELECT uuid FROM spanner_old LIMIT {FEW + 1});
        END IF;
        IF cardinality(uuids) = 0 THEN
            RETURN NULL;  -- the statement changed no row
        ELSIF cardinality(articles) > {FEW} THEN
            message := message || '{{"everything": true}}';
        ELSE
            message := message || jsonb_build_object('articles', to_jsonb(articles));
            IF cardinality(uuids) <= {FEW} THEN
                message := message || jsonb_build_object('uuids', to_jsonb(uuids));
            END IF;
        END IF;
    ELSIF TG_TABLE_NAME = 'articles' THEN
        IF TG_OP = 'DELETE' THEN
            articles := ARRAY(SELECT id FROM spanner_old LIMIT {FEW + 1});
        ELSE
            articles := ARRAY(SELECT id FROM spanner_new LIMIT {FEW + 1});
        END IF;
        IF cardinality(articles) = 0 THEN
            RETURN NULL;
        ELSIF cardinality(articles) > {FEW} THEN
            message := message || '{{"everything": true}}';
        ELSE
            message := message || jsonb_build_object('articles', to_jsonb(articles));
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM FROM spanner_old LIMIT 1;
        IF NOT FOUND THEN RETURN NULL; END IF;
    ELSE
        PERFORM FROM spanner_new LIMIT 1;
        IF NOT FOUND THEN RETURN NULL; END IF;
    END IF;
    PERFORM set_config('spanner.notices_' || TG_TABLE_NAME, (sent + 1)::text, true);  -- for this transaction
    PERFORM pg_notify('{CHANNEL}', message::text);
    RETURN NULL;
END
$fn$
"""

_REFERENCING = {"insert": "REFERENCING NEW TABLE AS spanner_new", "update":
                "REFERENCING OLD TABLE AS spanner_old NEW TABLE AS spanner_new",
                "delete": "REFERENCING OLD TABLE AS spanner_old", "truncate": ""}


def install_triggers(conn: Connection) -> None:
    """Create or replace the notifying triggers (idempotent; run by the database's owner)."""
    quote = conn.dialect.identifier_preparer.quote
    conn.exec_driver_sql(_FUNCTION)
    for table in TABLES:
        for op, referencing in _REFERENCING.items():
            trigger = quote(f"spanner_notify_{op}")
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger} ON {quote(table)}")
            conn.exec_driver_sql(f"CREATE TRIGGER {trigger} AFTER {op.upper()} ON {quote(table)} {referencing} "
                                 "FOR EACH STATEMENT EXECUTE FUNCTION spanner_notify_changes()")


class Listener:
    """One LISTEN connection to the server: ``fileno`` to wait on, ``counter`` and ``drain`` to read.

    It never raises: a lost connection is reconnected on a later use (backing off to ``RECONNECT_MAX_S``), and
    then reported once as ``{"everything": true}``, since what was sent meanwhile never reached us.
    """

    def __init__(self, url: URL, engine: Engine):
        self._params = _connect_params(url, engine)
        self._engine = engine
        self._own: set[int] = set()  # backend pids of our pooled connections: their notices are our own commits
        self._retired: set[int] = set()  # pids of pooled connections closed since the last drain
        self._pending: list[dict] = []
        self._count = 0
        self._conn = None
        self._missed = False  # notices may have been lost: report everything once connected again
        self._retry_at = 0.0
        self._failures = 0  # connection attempts failed in a row
        self._closed = False
        self._lock = threading.Lock()  # guards what the connecting thread hands over
        self._connecting = False
        self._arrived = None  # a connection the connecting thread made, not yet taken
        event.listen(engine, "checkout", self._on_checkout)
        event.listen(engine, "close", self._on_close)
        if not self._connect(wait=True):
            self._missed = True  # not listening from the start: once we are, everything may have changed

    # -- our own connections ----------------------------------------------------------------------

    def _on_checkout(self, dbapi_connection, record, _proxy) -> None:
        pid = record.info.get("spanner_pid")
        if pid is None:
            try:
                pid = record.info["spanner_pid"] = dbapi_connection.info.backend_pid  # libpq knows it: no round trip
            except Exception:  # noqa: BLE001 — a broken connection fails its own query, not this bookkeeping
                return
        self._own.add(pid)

    def _on_close(self, _dbapi_connection, record) -> None:
        pid = record.info.get("spanner_pid")
        if pid is not None:
            self._own.discard(pid)
            self._retired.add(pid)  # its last commit's notice may still be on the way

    # -- the listening connection ---------------------------------------------------------------

    def _connect(self, wait: bool = False) -> bool:
        """Listen on a new connection. Only the first one (``wait``, at open, the server just answered) is made
        here; later ones are made in a thread, so a network that is down never freezes the app that asks."""
        with self._lock:
            arrived, self._arrived = self._arrived, None
            if arrived is not None:
                self._conn = arrived
                return True
            if self._closed or self._connecting or time.monotonic() < self._retry_at:
                return False
            self._connecting = True
        if wait:
            return self._open_listening() and self._connect()
        threading.Thread(target=self._open_listening, name="spanner listener connect", daemon=True).start()
        return False

    def _open_listening(self) -> bool:
        import psycopg

        try:
            conn = psycopg.connect(**self._params, autocommit=True)
            conn.execute(f"LISTEN {CHANNEL}")
        except (psycopg.Error, OSError):
            with self._lock:
                self._retry_at = time.monotonic() + min(RECONNECT_FIRST_S * 2 ** self._failures, RECONNECT_MAX_S)
                self._failures += 1
                self._connecting = False
            return False
        with self._lock:
            self._connecting, self._failures = False, 0
            if self._closed:
                conn.close()
                return False
            self._arrived = conn
        return True

    def _lost(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001 — the connection is gone either way
                pass
        self._conn = None
        self._missed = True
        self._retry_at = 0.0  # the server may only have cut this connection: try again at once

    def _read(self) -> None:
        """Move every notice that has arrived into ``_pending`` (never waiting, never raising)."""
        import psycopg

        if self._conn is None and not self._connect():
            return
        if self._missed:
            self._missed = False
            self._note({"everything": True, "reconnected": True})
        try:
            for notice in self._conn.notifies(timeout=0):
                if notice.pid not in self._own and notice.pid not in self._retired:
                    self._note(_parse(notice.payload))
        except (psycopg.Error, OSError):
            self._lost()
            self._connect()  # in the background: the next read finds it, and says "everything" once

    def _note(self, notice: dict) -> None:
        self._pending.append(notice)
        self._count += 1

    def fileno(self) -> int | None:
        """The socket to wait on for notices (None while the server cannot be reached)."""
        if self._conn is None:
            self._read()
        try:
            return self._conn.fileno() if self._conn is not None else None
        except Exception:  # noqa: BLE001 — closed under us: reconnect on the next read
            self._lost()
            return None

    def counter(self) -> int:
        """A number that grows with every notice from another connection (a teammate's commit)."""
        self._read()
        return self._count

    def drain(self) -> list[dict]:
        """Every notice from elsewhere since the last drain, parsed (``{"everything": true}`` for an odd one)."""
        self._read()
        notices, self._pending = self._pending, []
        self._retired.clear()
        return notices

    def close(self) -> None:
        with self._lock:
            self._closed = True
            arrived, self._arrived = self._arrived, None
        if arrived is not None:
            arrived.close()
        for name, handler in (("checkout", self._on_checkout), ("close", self._on_close)):
            if event.contains(self._engine, name, handler):
                event.remove(self._engine, name, handler)
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001 — closing a dead connection
                pass
            self._conn = None


def _connect_params(url: URL, engine: Engine) -> dict:
    """What psycopg.connect needs for ``url``, as the engine's dialect reads it (socket folders, options…)."""
    _args, params = engine.dialect.create_connect_args(url)
    params.pop("context", None)  # SQLAlchemy's adapters: not for a plain connection
    params.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
    # Keepalives: a network that drops silently is noticed (the socket errors) in about 25 s, not hours.
    params.update(application_name="spanner listener", keepalives=1, keepalives_idle=10, keepalives_interval=5,
                  keepalives_count=3)
    return params


def _parse(payload: str) -> dict:
    try:
        notice = json.loads(payload)
    except (ValueError, RecursionError):  # any member may notify: a nested bomb reads as "reload everything"
        return {"everything": True}
    return notice if isinstance(notice, dict) and isinstance(notice.get("t"), str) else {"everything": True}


def summarise(notices: Iterable[dict]) -> dict | None:
    """What these notices say changed, as ``Changes`` keyword arguments (None: nothing did).

    Only what a payload states is trusted: an unknown table, a missing list or an odd value means everything."""
    added: set[str] = set()
    removed: set[str] = set()
    updated: set[str] = set()
    annotated: set[int] = set()
    exact = True
    flags = {"tags": False, "annotators": False, "claims": False, "links": False}
    articles_added: set[int] = set()
    articles_removed: set[int] = set()
    seen = False
    for notice in notices:
        seen = True
        table, op = notice.get("t"), notice.get("op")
        if notice.get("everything") or op not in ("INSERT", "UPDATE", "DELETE"):
            return {"everything": True}
        articles = _ints(notice.get("articles"))
        if table == "annotations":
            uuids = _texts(notice.get("uuids"))
            if articles is None:
                return {"everything": True}
            annotated |= articles
            if uuids is None:
                exact = False
            else:
                {"INSERT": added, "DELETE": removed, "UPDATE": updated}[op].update(uuids)
        elif table == "articles":
            if articles is None:
                return {"everything": True}
            if op != "DELETE":  # an edited article is reported as replaced (see commands.articles)
                articles_added |= articles
            if op != "INSERT":
                articles_removed |= articles
        elif table in ("tags", "annotators", "links"):
            flags[table] = True
        elif table in ("claims", "claim_annotations"):
            flags["claims"] = True
        else:  # settings (curation marks) or a table we do not know: reload it all
            return {"everything": True}
    if not seen:
        return None
    if removed & (added | updated):
        exact = False  # one annotation went and came back in these commits: the views compare with the stored rows
    if not exact:
        added = removed = updated = set()
    return {"annotations_added": frozenset(added), "annotations_removed": frozenset(removed),
            "annotations_updated": frozenset(updated), "annotated_articles": frozenset(annotated),
            "annotations_exact": exact, "articles_added": frozenset(articles_added),
            "articles_removed": frozenset(articles_removed), **flags}


def _ints(value: object) -> set[int] | None:
    if isinstance(value, list) and all(isinstance(item, int) and not isinstance(item, bool) for item in value):
        return set(value)
    return None


def _texts(value: object) -> set[str] | None:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return set(value)
    return None
