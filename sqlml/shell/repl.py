"""The interactive loop: prompt_toolkit line editing with persistent history, SQL highlighting and
completion; a statement runs once a line ends it with `;` (a dot command: at once). Ctrl-C cancels the
running statement (or clears the line), Ctrl-D exits."""

from __future__ import annotations

import os
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.history import FileHistory, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.lexers import PygmentsLexer
from pygments.lexers.sql import SqlLexer

from sqlml.engine.session import SessionCursor
from sqlml.shell.commands import ExitShell
from sqlml.shell.completion import ShellCompleter
from sqlml.shell.core import Shell

PROMPT, CONTINUATION = "sqlml> ", "   ...> "


def history_path() -> Path | None:
    """Where the shell keeps its history: $SQLML_HISTORY (set but empty: nowhere), else
    $XDG_STATE_HOME/sqlml/history where XDG_STATE_HOME is set, else ~/.sqlml_history."""
    if "SQLML_HISTORY" in os.environ:
        return Path(os.environ["SQLML_HISTORY"]) if os.environ["SQLML_HISTORY"] else None
    if os.environ.get("XDG_STATE_HOME"):
        return Path(os.environ["XDG_STATE_HOME"]) / "sqlml" / "history"
    return Path.home() / ".sqlml_history"


def _history():
    """The prompt's history: kept in history_path()'s file, or for this session only."""
    path = history_path()
    if path is None:
        return InMemoryHistory()
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileHistory(str(path))


def _key_bindings() -> KeyBindings:
    bindings = KeyBindings()
    read = SessionCursor.reader()  # the input as last read: a line added to it is the only text tokenized

    @bindings.add("enter")
    def _enter(event) -> None:
        """Run the input once it is complete (a dot command, or ended by `;`), else start a new line."""
        nonlocal read
        buffer = event.current_buffer
        buffer.complete_state = None
        if buffer.text.lstrip().startswith("."):
            buffer.validate_and_handle()
            return
        read = read.extended(buffer.text)
        if read.complete:
            buffer.validate_and_handle()
        else:
            buffer.insert_text("\n")

    return bindings


def run(shell: Shell) -> int:
    """Read and run input until .exit or Ctrl-D; 0."""
    print(
        f'sqlml shell, database {shell.database}. Statements end with ";". Enter ".help" for the dot commands.',
        file=shell.stdout,
        flush=True,
    )
    completer = ShellCompleter(shell)
    prompt = PromptSession(
        history=_history(),
        lexer=PygmentsLexer(SqlLexer),
        completer=completer,
        complete_while_typing=False,
        multiline=True,
        key_bindings=_key_bindings(),
        prompt_continuation=lambda width, line, wrap: CONTINUATION.rjust(width),
    )
    while True:
        try:
            text = prompt.prompt(PROMPT)
        except KeyboardInterrupt:  # at the prompt: drop the line
            continue
        except EOFError:
            return 0
        try:
            shell.run_script(text)
        except ExitShell:
            return 0
        except KeyboardInterrupt:  # between statements
            shell.error("interrupted")
        completer.refresh()
