"""The interactive loop: prompt_toolkit line editing with persistent history, SQL highlighting and
completion; a statement runs once a line ends it with `;` (a dot command: at once). Ctrl-C cancels the
running statement (or clears the line), Ctrl-D exits."""

from __future__ import annotations

import os
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.history import FileHistory
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.lexers import PygmentsLexer
from pygments.lexers.sql import SqlLexer

from sqlml.shell.commands import ExitShell
from sqlml.shell.completion import ShellCompleter
from sqlml.shell.runner import Shell, is_complete

PROMPT, CONTINUATION = "sqlml> ", "   ...> "


def history_path() -> Path:
    """$SQLML_HISTORY, else ~/.sqlml_history."""
    return Path(os.environ.get("SQLML_HISTORY") or Path.home() / ".sqlml_history")


def _key_bindings() -> KeyBindings:
    bindings = KeyBindings()

    @bindings.add("enter")
    def _enter(event) -> None:
        """Run the input once it is complete (a dot command, or ended by `;`), else start a new line."""
        buffer = event.current_buffer
        buffer.complete_state = None
        text = buffer.text.strip()
        if text.startswith(".") or is_complete(buffer.text):
            buffer.validate_and_handle()
        else:
            buffer.insert_text("\n")

    return bindings


def run(shell: Shell) -> int:
    """Read and run input until .exit or Ctrl-D; 0."""
    print(f'sqlml shell, database {shell.database}. Statements end with ";". Enter ".help" for the dot commands.',
          file=shell.stdout, flush=True)
    completer = ShellCompleter(shell)
    prompt = PromptSession(history=FileHistory(str(history_path())), lexer=PygmentsLexer(SqlLexer),
                           completer=completer, complete_while_typing=False, multiline=True,
                           key_bindings=_key_bindings(),
                           prompt_continuation=lambda width, line, wrap: CONTINUATION.rjust(width))
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
