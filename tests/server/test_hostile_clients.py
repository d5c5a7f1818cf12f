"""Hostile clients (issue 14) against the real server process: a query costly to read must not hold up other
clients, limits before and after login as PostgreSQL has them, and no client may change the settings of the
others. References: DuckDB's own API on the same file, PostgreSQL's SQLSTATEs and messages (written out)."""

from __future__ import annotations

import struct
import time

import duckdb
import psycopg
import pytest

from tests.server.serving import (
    PASSWORD,
    USER,
    RawClient,
    dsn,
    error,
    message,
    psql,
    query,
    rows,
    serve,
    startup_packet,
)

LONG = 200_000  # a run of 200,000 characters: minutes of backtracking for a quadratic regex, milliseconds linearly


# -- item 3: one client's text must not stall the others --------------------------------------------
def test_a_query_costly_to_read_does_not_hold_up_another_client(open_server):
    """Client A pipelines a marker query, then texts that made the server's regexes backtrack quadratically
    (while holding Python's GIL, so every other client waited). Client B sends SELECT 1 once the marker is
    answered, i.e. while the server reads A's texts, and must be answered (its socket waits 60 s at most,
    a guard: a quadratic rewrite of these texts takes minutes); then A's texts get their right answers."""
    hostile = [
        ("SELECT 1 -- pg_catalog" + "a" * LONG, [["1"]]),
        ("SELECT pg_catalog.version()" + " " * LONG + "FROM range(1)", None),
        ("DEALLOCATE x" + " " * LONG + "y", "42601"),
        ("DEALLOCATE x" + " " * LONG, "26000"),
        ("SHOW server_version" + " " * LONG + "!", "42601"),
    ]
    other = RawClient(open_server).log_in()
    client = RawClient(open_server).log_in()
    client.send(query("SELECT 'marker'") + b"".join(query(sql) for sql, _ in hostile))
    assert rows(client.until_ready()) == [["marker"]]
    other.send(query("SELECT 1"))
    assert rows(other.until_ready()) == [["1"]]
    for sql, expected in hostile:
        answer = client.until_ready()
        if isinstance(expected, str):
            assert error(answer[0])["C"] == expected, sql[:30]
        elif expected is None:
            assert rows(answer)[0][0].startswith("PostgreSQL 15.0 (sqlml ")
        else:
            assert rows(answer) == expected
    client.close()
    other.close()


# -- item 5: limits before login, and after ---------------------------------------------------------
def test_a_startup_packet_over_10000_bytes_is_refused_before_it_is_read(open_server):
    """PostgreSQL's cap (MAX_STARTUP_PACKET_LENGTH): a packet of 10,000 bytes is taken, one byte more is
    refused as soon as its length arrives; announcing 199 MB then sending nothing gets the same answer."""
    exact = startup_packet(padding=1)
    exact = startup_packet(padding=1 + 10_000 - len(exact))
    assert len(exact) == 10_000
    client = RawClient(open_server)
    client.send(exact)
    assert client.until_ready()[0] == (b"R", struct.pack("!i", 0))
    for announced in (10_001, 199 * 2**20):
        refused = RawClient(open_server)
        refused.send(struct.pack("!i", announced))  # the length only: the server must not wait for the rest
        answer = refused.until_closed()
        assert [error(m) for m in answer] == [
            {
                "S": "FATAL",
                "V": "FATAL",
                "C": "08P01",
                "M": f"invalid length of startup packet: {announced} bytes, over the server's limit of 10000",
            }
        ]
    client.send(query("SELECT 2"))
    assert rows(client.until_ready()) == [["2"]]


def test_a_client_that_does_not_log_in_is_disconnected_at_the_auth_timeout(database):
    """A silent client, one that stops inside its startup packet and one that never answers the password
    challenge are each told PostgreSQL's "canceling authentication due to timeout" (57014) and closed by the
    server (the test waits for that close); a client logged in before stays, however long it idles."""
    with (
        serve(
            database,
            "--user",
            USER,
            "--password-env",
            "SQLML_TEST_PASSWORD",
            "--auth-timeout",
            "1",
            env={"SQLML_TEST_PASSWORD": PASSWORD},
        ) as port,
        psycopg.connect(dsn(port), autocommit=True) as logged_in,
    ):
        silent, halfway, no_password = RawClient(port), RawClient(port), RawClient(port)
        halfway.send(startup_packet(USER)[:7])
        no_password.send(startup_packet(USER))
        assert no_password.message()[0] == b"R"  # AuthenticationSASL: the server waits for the client's answer
        for client in (silent, halfway, no_password):
            answer = client.until_closed()
            assert [(error(m)["C"], error(m)["M"]) for m in answer] == [
                ("57014", "canceling authentication due to timeout")
            ]
        assert logged_in.execute("SELECT 3").fetchone() == (3,)  # idle for longer than the timeout


def test_max_connections_refuses_clients_over_it_as_postgresql_does(database):
    with serve(database, "--max-connections", "2") as port:
        with (
            psycopg.connect(dsn(port, user="x", password=""), autocommit=True) as first,
            psycopg.connect(dsn(port, user="y", password=""), autocommit=True) as second,
        ):
            with pytest.raises(psycopg.OperationalError, match="FATAL:  sorry, too many clients already"):
                psycopg.connect(dsn(port, user="z", password=""))
            refused = psql(port, "-c", "SELECT 1", password="")
            assert refused.returncode == 2 and "FATAL:  sorry, too many clients already" in refused.stderr
            assert first.execute("SELECT 4").fetchone() == second.execute("SELECT 4").fetchone() == (4,)
        deadline = time.monotonic() + 30  # the places free once the server has seen the clients go
        while True:
            try:
                with psycopg.connect(dsn(port, user="z", password="")) as later:
                    assert later.execute("SELECT 5").fetchone() == (5,)
                break
            except psycopg.OperationalError:
                assert time.monotonic() < deadline, "the place of a client gone was not freed"


def test_clients_not_logged_in_are_bounded_too(database):
    """Sockets open (logged in or not) are bounded at twice --max-connections: beyond that a new one is
    refused at once, before it sends anything, with no thread for it."""
    with serve(database, "--max-connections", "1") as port:
        waiting = [RawClient(port), RawClient(port)]  # the server accepts in order: both before the third
        third = RawClient(port)
        assert [(error(m)["C"], error(m)["M"]) for m in third.until_closed()] == [
            ("53300", "sorry, too many clients already")
        ]
        waiting[0].log_in()
        waiting[0].send(query("SELECT 6"))
        assert rows(waiting[0].until_ready()) == [["6"]]


def test_max_message_bytes_after_login(database):
    """A message of --max-message-bytes (its length as the protocol counts it) is taken; one byte more is
    refused as soon as its length arrives, closing that connection only."""
    limit = 100_000
    with (
        serve(database, "--max-message-bytes", str(limit)) as port,
        psycopg.connect(dsn(port, user="x", password=""), autocommit=True) as other,
    ):
        client = RawClient(port).log_in()
        text = "x" * (limit - len(query("SELECT ''")) + 1)
        assert len(query(f"SELECT '{text}'")) == 1 + limit
        client.send(query(f"SELECT '{text}'"))
        assert rows(client.until_ready()) == [[text]]
        client.send(b"Q" + struct.pack("!i", limit + 1))
        assert [error(m) for m in client.until_closed()] == [
            {
                "S": "FATAL",
                "V": "FATAL",
                "C": "08P01",
                "M": f"invalid message length: {limit + 1} bytes, over the server's limit of {limit}",
            }
        ]
        with psycopg.connect(dsn(port, user="x", password=""), autocommit=True) as con:
            with pytest.raises(psycopg.OperationalError):
                con.execute(f"SELECT '{'x' * limit}'")
            assert con.broken
        assert other.execute("SELECT 7").fetchone() == (7,)


@pytest.mark.parametrize("number", ["65536", "1" * 5000])
def test_a_parameter_number_over_postgresql_s_limit_is_an_error_not_a_crash(open_server, number):
    """$65536 is past PostgreSQL's 65,535 parameters; $ and 5,000 digits is past the digits int() reads
    (4,300): Describe answers 42P02 (undefined_parameter), and the connection goes on."""
    client = RawClient(open_server).log_in()
    client.send(
        message(b"P", f"\0SELECT ${number}\0".encode() + struct.pack("!h", 0))
        + message(b"D", b"S\0")
        + message(b"S", b"")
    )
    answer = client.until_ready()
    assert [kind for kind, _ in answer] == [b"1", b"E", b"Z"]
    assert error(answer[1])["C"] == "42P02"
    assert (
        error(answer[1])["M"] == f"there is no parameter ${number[:20]}{'...' if len(number) > 20 else ''}: "
        "at most $65535"
    )
    client.send(query("SELECT 8"))
    assert rows(client.until_ready()) == [["8"]]
    client.close()


# -- item 6: settings are the client's own -----------------------------------------------------------
SORTED = "SELECT x FROM (VALUES (2), (1), (3)) t(x) ORDER BY x"
GLOBALS = "SELECT current_setting('threads'), current_setting('memory_limit'), current_setting('default_order')"


def duck(database, *statements):
    """The last statement's rows from DuckDB's own API on the same file, after the others."""
    with duckdb.connect(str(database), read_only=True) as con:
        for sql in statements:
            con.execute(sql)
        return con.fetchall()


def test_no_client_can_change_the_settings_of_the_others(server, database):
    refused = [
        "SET GLOBAL default_order = 'DESC'",
        "SET memory_limit = '1MB'",
        "SET threads = 1",
        "SET SESSION threads TO 1",
        "RESET threads",
        "PRAGMA threads = 1",
        "EXPLAIN ANALYZE SET threads = 1",
        "SELECT 1; SET GLOBAL threads = 1",
        "/* a */ SET /* b /* nested */ c */ GLOBAL threads = 1",
        "PRAGMA enable_object_cache",
        "CALL disable_checkpoint_on_shutdown()",
    ]
    with psycopg.connect(dsn(server), autocommit=True) as con, psycopg.connect(dsn(server), autocommit=True) as other:
        for statement in refused:
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="every client"):
                con.execute(statement)
        for client in (con, other):
            assert client.execute(GLOBALS).fetchall() == duck(database, GLOBALS)
            assert client.execute(SORTED).fetchall() == duck(database, SORTED) == [(1,), (2,), (3,)]


def test_session_settings_stay_with_the_client_that_made_them(server, database):
    changes = ["SET default_order = 'DESC'", "PRAGMA enable_progress_bar", "SET VARIABLE answer = 42"]
    probe = "SELECT current_setting('enable_progress_bar'), getvariable('answer')"
    with psycopg.connect(dsn(server), autocommit=True) as con, psycopg.connect(dsn(server), autocommit=True) as other:
        for statement in changes:
            con.execute(statement)
        assert con.execute(SORTED).fetchall() == duck(database, changes[0], SORTED) == [(3,), (2,), (1,)]
        assert con.execute(probe).fetchall() == duck(database, *changes, probe)
        assert other.execute(SORTED).fetchall() == duck(database, SORTED)
        assert other.execute(probe).fetchall() == duck(database, probe)
        con.execute("RESET default_order")
        assert con.execute(SORTED).fetchall() == duck(database, SORTED)
