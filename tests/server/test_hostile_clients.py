"""Hostile clients (issue 14) against the real server process: a query costly to read must not hold up other
clients."""

from __future__ import annotations

from tests.server.serving import RawClient, error, query, rows

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
