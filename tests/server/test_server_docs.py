"""docs/server.md is executable: its `sqlml` lines run (`sqlml serve` as a real server on a free port instead
of 5433), then its psql lines and Python snippets run against that server."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

from sqlml.cli import main as cli_main
from tests.server.serving import PSQL, serve

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "server.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.M | re.S)


def blocks(language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(PAGE.read_text()) if lang == language]


def test_server_page_runs(tmp_path, monkeypatch):
    (tmp_path / "sql_examples").symlink_to(ROOT / "sql_examples")
    monkeypatch.chdir(tmp_path)
    lines = [line for block in blocks("bash") for line in block.splitlines() if line.strip()]
    env = {}
    for line in lines:
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            env[name] = shlex.split(value)[0]
        elif line.startswith("sqlml serve "):
            serve_args = shlex.split(line)[2:]
            break
        else:
            assert line.startswith("sqlml "), line
            assert cli_main(shlex.split(line)[1:]) == 0, line
    database, args = serve_args[0], serve_args[1:]
    port_at = args.index("--port")
    args = args[:port_at] + args[port_at + 2 :]  # serve() picks a free port
    clients = lines[lines.index(line) + 1 :]
    assert clients and blocks("python")
    with serve(tmp_path / database, *args, env=env) as port:
        for client in clients:
            words = shlex.split(client.replace("-p 5433", f"-p {port}"))
            assigned = dict(w.split("=", 1) for w in words if re.match(r"^[A-Z]+=", w))
            command = [w for w in words if not re.match(r"^[A-Z]+=", w)]
            assert command[0] == "psql", client
            run = subprocess.run(
                [PSQL, "-X", *command[1:]], capture_output=True, text=True, timeout=60, env={**os.environ, **assigned}
            )
            assert run.returncode == 0 and run.stdout and not run.stderr, (client, run.stderr)
        for block in blocks("python"):
            exec(compile(block.replace("port=5433", f"port={port}"), str(PAGE), "exec"), {})
