"""sqlml's own settings: statements of their own, read in either dialect (DuckDB's and BigQuery's) and done by the
session, never by DuckDB.

    SET name = 'value'  (or SET [SESSION] name TO value)   RESET name   SHOW name

| setting             | values                          | holds for                                      |
|---------------------|---------------------------------|------------------------------------------------|
| `sqlml_dialect`     | 'duckdb', 'bigquery'            | the cursor (engine/dialects.py)                |
| `sqlml_cluster`     | 'local', 'tcp://host:port'      | the session: every cursor (engine/compute.py)  |
| `sqlml_cluster_dir` | a directory or object-store URL | the session: where its cluster stages data     |

RESET goes back to what the connection started with. A text pays only a substring test (`mentioned`) unless it
names one of them. A `shared` setting changes every cursor of the session: the wire server refuses a client's
change of one (server/settings.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlml import errors
from sqlml.engine import dialects
from sqlml.engine.compute import ClusterSetting
from sqlml.parser.keywords import LEADING_BLANKS, search_in_slices

if TYPE_CHECKING:
    from sqlml.engine.session import SessionCursor


@dataclass(frozen=True)
class Setting:
    """One setting: its values (as its syntax shows them), whether the session's (else the cursor's), how a
    cursor reads it and changes it (`change(cursor, None)`: RESET)."""

    name: str
    values: str
    shared: bool
    show: Callable[[SessionCursor], str | None]
    change: Callable[[SessionCursor, str | None], None]

    @property
    def syntax(self) -> str:
        return f"SET {self.name} = {self.values}, RESET {self.name} or SHOW {self.name}"


@dataclass(frozen=True)
class SettingStatement:
    verb: str  # 'set', 'reset' or 'show'
    setting: Setting
    value: str | None  # SET's


def _change_dialect(cursor: SessionCursor, value: str | None) -> None:
    cursor.dialect = cursor.session.dialect if value is None else dialects.checked(value)


def _change_cluster(cursor: SessionCursor, value: str | None) -> None:
    """SET: the address, staging in the session's cluster_dir; RESET: the connection's setting, its directory
    too. The cluster open is closed (unless the setting stays the same)."""
    session = cursor.session
    setting = session.started_cluster if value is None else ClusterSetting.of(value, session.cluster_dir)
    _use(cursor, setting, setting and setting.staging)


def _change_cluster_dir(cursor: SessionCursor, value: str | None) -> None:
    """SET: the directory the session's cluster (or the one SET sqlml_cluster names next) stages in; RESET: the
    connection's."""
    session = cursor.session
    staging = value if value is not None else session.started_cluster and session.started_cluster.staging
    current = session.cluster_setting
    # checked as the staging directory of the session's cluster (of a 'local' one while none is set)
    setting = ClusterSetting.of("local" if current is None else current.address, staging)
    _use(cursor, current and setting, staging)


def _use(cursor: SessionCursor, setting: ClusterSetting | None, staging: str | None) -> None:
    session = cursor.session
    if setting != session.cluster_setting:
        session.use_cluster(setting)
    session.cluster_dir = staging


SETTINGS = {
    setting.name: setting
    for setting in (
        Setting(
            dialects.SETTING,
            "'duckdb' | 'bigquery'",
            shared=False,
            show=lambda cursor: cursor.dialect,
            change=_change_dialect,
        ),
        Setting(
            "sqlml_cluster",
            "'local' | 'tcp://host:port'",
            shared=True,
            show=lambda cursor: cursor.session.cluster_setting and cursor.session.cluster_setting.address,
            change=_change_cluster,
        ),
        Setting(
            "sqlml_cluster_dir",
            "'a directory or object-store URL every worker reads'",
            shared=True,
            show=lambda cursor: cursor.session.cluster_dir,
            change=_change_cluster_dir,
        ),
    )
}
SHARED = frozenset(name for name, setting in SETTINGS.items() if setting.shared)

_NAMES = "|".join(sorted(SETTINGS, key=len, reverse=True))
_MENTION = re.compile(rf"\b(?:{_NAMES})\b", re.IGNORECASE)
_BLANKS = LEADING_BLANKS.pattern
_STATEMENT = re.compile(
    rf"{_BLANKS}(?P<verb>SET|RESET|SHOW)\s+(?:(?P<session>SESSION)\s+)?(?P<name>{_NAMES})\b"
    rf"(?:\s*(?:=|\bTO\b)\s*(?:'(?P<quoted>(?:[^']|'')*)'|(?P<bare>\w+)))?{_BLANKS};?{_BLANKS}",
    re.IGNORECASE | re.DOTALL,
)
_VERB = re.compile(rf"{_BLANKS}(?:SET|RESET|SHOW)\b", re.IGNORECASE | re.DOTALL)


def mentioned(sql: str) -> bool:
    """Cheap raw-text test: could the text hold a setting's statement? (The prefix in lower, upper or capitalized
    case: substring tests first, far cheaper than a case-insensitive search.)"""
    if "sqlml_" in sql or "SQLML_" in sql or "Sqlml_" in sql:
        return search_in_slices(_MENTION, sql) is not None
    return False


def statement(text: str) -> SettingStatement | None:
    """The setting statement `text` is, else None; a SET, RESET or SHOW of a setting written otherwise is a
    ProgrammingError giving its syntax."""
    mention = _MENTION.search(text)
    if mention is None:
        return None
    found = _STATEMENT.fullmatch(text)
    verb = found and found["verb"].lower()
    value = found and (found["bare"] if found["quoted"] is None else found["quoted"].replace("''", "'"))
    if found is None or (verb == "set") != (value is not None) or (verb == "show" and found["session"]):
        if _VERB.match(text):
            setting = SETTINGS[mention.group().lower()]
            raise errors.ProgrammingError(f"the setting {setting.name} reads {setting.syntax}, not: {text.strip()}")
        return None
    return SettingStatement(verb, SETTINGS[found["name"].lower()], value)
