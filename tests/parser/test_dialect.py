"""Tables of cases for sqlml.parser, in the style of sqlglot's validate_identity tests."""

from __future__ import annotations

import logging

import pytest
from sqlglot import exp

from sqlml.errors import SqlSyntaxError
from sqlml.parser import (
    CreateModel,
    DescribeModel,
    DropModel,
    ExportModel,
    MLFunction,
    ShowModels,
    SqlmlDialect,
    has_ml_keyword,
    is_ml_statement,
    parse_statement,
    split_statements,
)


def canonical(sql: str) -> str:
    return parse_statement(sql).sql(dialect=SqlmlDialect)


# (sql, canonical form); None means the input is already canonical.
ROUND_TRIPS = [
    ("CREATE MODEL m AS SELECT * FROM t", None),
    ("create or replace model m as select a, b from t", "CREATE OR REPLACE MODEL m AS SELECT a, b FROM t"),
    ("CREATE MODEL IF NOT EXISTS s.m AS SELECT 1", None),
    ('CREATE MODEL main."My Model" AS SELECT 1', None),
    ("CREATE MODEL `proj`.`m` AS SELECT 1", 'CREATE MODEL "proj"."m" AS SELECT 1'),
    (
        "CREATE MODEL m OPTIONS(model_type = 'linear_reg', input_label_cols = ['y']) AS SELECT * FROM t",
        "CREATE MODEL m OPTIONS(model_type='linear_reg', input_label_cols=['y']) AS SELECT * FROM t",
    ),
    (
        "CREATE MODEL m OPTIONS(a=-1, b=2.5, c=TRUE, d=FALSE, e=NULL, f=[1, 2]) AS SELECT 1",
        None,
    ),
    (
        "CREATE MODEL m OPTIONS(lr=HPARAM_RANGE(0, 1), opt=HPARAM_CANDIDATES(['a', 'b']),"
        " s=STRUCT(1 AS x, 'y' AS z)) AS SELECT 1",
        None,
    ),
    (
        "CREATE MODEL m TRANSFORM(a*2 AS a2, ML.STANDARD_SCALER(b) OVER() AS b_s, * EXCEPT(c)) AS SELECT * FROM t",
        "CREATE MODEL m TRANSFORM(a * 2 AS a2, ML.STANDARD_SCALER(b) OVER () AS b_s, * EXCLUDE (c)) AS SELECT * FROM t",
    ),
    (
        "CREATE MODEL m AS WITH q AS (SELECT 1 AS x) SELECT * EXCLUDE (x) FROM q",
        None,
    ),
    ("CREATE MODEL m AS FROM t SELECT a", "CREATE MODEL m AS SELECT a FROM t"),
    ("CREATE MODEL m AS FROM t", "CREATE MODEL m AS SELECT * FROM t"),
    ("CREATE MODEL m AS SELECT 1 UNION ALL SELECT 2", None),
    ("CREATE MODEL m AS (SELECT 1)", None),
    ("CREATE MODEL m AS SELECT * FROM a JOIN b ON a.id = b.id", None),
    ("CREATE MODEL m OPTIONS(model_type='onnx', model_path='m.onnx')", None),  # an import: no AS
    ("ALTER MODEL m SET ACTIVE VERSION 2", None),
    (
        "alter model if exists s.m set options(description='x', labels=['a'])",
        "ALTER MODEL IF EXISTS s.m SET OPTIONS(description='x', labels=['a'])",
    ),
    ("DROP MODEL m", None),
    ("drop model if exists s.m", "DROP MODEL IF EXISTS s.m"),
    ("SHOW MODELS", None),
    ("show models", "SHOW MODELS"),
    ("DESCRIBE MODEL m", None),
    ("DESC MODEL s.m", "DESCRIBE MODEL s.m"),
    ("EXPORT MODEL m", None),
    ("EXPORT MODEL m OPTIONS(uri='/tmp/m')", None),
    ('EXPORT MODEL m OPTIONS(uri="/tmp/m")', "EXPORT MODEL m OPTIONS(uri='/tmp/m')"),
    ("SELECT * FROM ML.PREDICT(MODEL m, TABLE t)", None),
    ("select * from ml.predict(model m, table t)", "SELECT * FROM ML.PREDICT(MODEL m, TABLE t)"),
    ("SELECT * FROM ML.PREDICT(MODEL m, TABLE s.t) p", "SELECT * FROM ML.PREDICT(MODEL m, TABLE s.t) AS p"),
    ("SELECT * FROM ML.PREDICT(MODEL m VERSION 3, TABLE t)", None),
    ("SELECT * FROM ML.PREDICT(MODEL m, (SELECT a FROM t WHERE a > 1)) AS p", None),
    ("SELECT * FROM ML.PREDICT(MODEL m, (FROM t))", "SELECT * FROM ML.PREDICT(MODEL m, (SELECT * FROM t))"),
    ("SELECT * FROM ML.EVALUATE(MODEL m)", None),
    ("SELECT * FROM ML.EVALUATE(MODEL m, STRUCT(0.6 AS threshold))", None),
    ("SELECT * FROM ML.EVALUATE(MODEL m, TABLE t, STRUCT(0.6 AS threshold, 'x' AS y))", None),
    ("SELECT * FROM ML.FEATURE_INFO(MODEL `m`)", 'SELECT * FROM ML.FEATURE_INFO(MODEL "m")'),
    ("SELECT * FROM ML.PREDICT(MODEL m, TABLE t, STRUCT(2 AS version))", None),
    ("SELECT * FROM ML.DESCRIBE_DATA(TABLE t, STRUCT(5 AS top_k))", None),
    (
        "SELECT * FROM ML.DETECT_ANOMALIES(MODEL m, STRUCT(0.1 AS contamination), TABLE t)",
        "SELECT * FROM ML.DETECT_ANOMALIES(MODEL m, TABLE t, STRUCT(0.1 AS contamination))",
    ),
    ("SELECT * FROM ML.VALIDATE_DATA_DRIFT(TABLE a, (SELECT * FROM b WHERE x > 1))", None),
    (
        "WITH p AS (SELECT * FROM ML.PREDICT(MODEL m, TABLE t)) SELECT * FROM p",
        None,
    ),
    (
        "SELECT * FROM t JOIN ML.PREDICT(MODEL m, TABLE t) AS p ON t.id = p.id",
        None,
    ),
    (
        "FROM ML.PREDICT(MODEL m, TABLE t) p JOIN u USING (id) SELECT *",
        "SELECT * FROM ML.PREDICT(MODEL m, TABLE t) AS p JOIN u USING (id)",
    ),
    (
        "SELECT * FROM ML.PREDICT(MODEL m, (SELECT * FROM ML.PREDICT(MODEL n, TABLE t)))",
        None,
    ),
    ("SELECT x FROM t WHERE x IN (SELECT x FROM ML.PREDICT(MODEL m, TABLE t))", None),
    ("CREATE TABLE r AS SELECT * FROM ML.PREDICT(MODEL m, TABLE t)", None),
    ("INSERT INTO r SELECT * FROM ML.PREDICT(MODEL m, TABLE t)", None),
    (
        "CREATE MODEL m2 AS SELECT * FROM ML.PREDICT(MODEL m, TABLE t)",
        None,
    ),
    ("SELECT ml.x FROM ml", "SELECT ml.x FROM ml"),
    ("SELECT model FROM models", None),
]


@pytest.mark.parametrize(("sql", "expected"), ROUND_TRIPS)
def test_round_trip(sql: str, expected: str | None) -> None:
    expected = expected or sql
    assert canonical(sql) == expected
    assert canonical(expected) == expected


CREATE = (
    "CREATE OR REPLACE MODEL s.`My M`\n"
    "TRANSFORM(a*2 AS a2, b)\n"
    "OPTIONS(Model_Type='logistic_reg', input_label_cols=['y'], l1_reg=-0.5, max_iterations=10,"
    " early_stop=FALSE, x=NULL, lr=HPARAM_RANGE(0, 1))\n"
    "AS\n"
    "  WITH q AS (SELECT  a,b ,y FROM t)\n"
    "  SELECT * FROM q -- the data\n"
)


def test_create_model_fields() -> None:
    node = parse_statement(CREATE)
    assert isinstance(node, CreateModel)
    assert node.name == ("s", "My M")
    assert node.args["replace"] is True
    assert not node.args.get("exists")
    options = node.options_dict
    assert options.pop("lr").sql() == "HPARAM_RANGE(0, 1)"
    assert options == {
        "model_type": "logistic_reg",
        "input_label_cols": ["y"],
        "l1_reg": -0.5,
        "max_iterations": 10,
        "early_stop": False,
        "x": None,
    }
    assert node.transform_sql == "a*2 AS a2, b"
    assert [e.alias_or_name for e in node.args["transform"]] == ["a2", "b"]
    assert node.query_sql == "WITH q AS (SELECT  a,b ,y FROM t)\n  SELECT * FROM q"
    assert isinstance(node.args["query"], exp.Select)
    assert node.copy().query_sql == node.query_sql


@pytest.mark.parametrize(
    ("sql", "node_type", "fields"),
    [
        (
            "CREATE MODEL IF NOT EXISTS m AS (SELECT 1)",
            CreateModel,
            {
                "name": (None, "m"),
                "exists": True,
                "replace": False,
                "options_dict": {},
                "query_sql": "(SELECT 1)",
                "transform_sql": None,
            },
        ),
        (
            "CREATE MODEL main.\"M\" OPTIONS(model_type='x') AS FROM t",
            CreateModel,
            {"name": ("main", "M"), "options_dict": {"model_type": "x"}, "query_sql": "FROM t"},
        ),
        ("DROP MODEL m", DropModel, {"name": (None, "m"), "exists": False}),
        ("DROP MODEL IF EXISTS `s`.m", DropModel, {"name": ("s", "m"), "exists": True}),
        ("SHOW MODELS;", ShowModels, {}),
        ("DESC MODEL m", DescribeModel, {"name": (None, "m")}),
        ("DESCRIBE MODEL s.m", DescribeModel, {"name": ("s", "m")}),
        (
            "EXPORT MODEL s.m OPTIONS(URI='/x', formats=['onnx', 'json'])",
            ExportModel,
            {"name": ("s", "m"), "options_dict": {"uri": "/x", "formats": ["onnx", "json"]}},
        ),
        ("EXPORT MODEL m", ExportModel, {"name": (None, "m"), "options_dict": {}}),
        (
            'EXPORT MODEL m OPTIONS(uri="/x", cols=["a", \'b\'])',
            ExportModel,
            {"options_dict": {"uri": "/x", "cols": ["a", "b"]}},
        ),
    ],
)
def test_statement_fields(sql: str, node_type: type, fields: dict) -> None:
    node = parse_statement(sql)
    assert type(node) is node_type
    for key, value in fields.items():
        actual = bool(node.args.get(key)) if key in ("exists", "replace") else getattr(node, key)
        assert actual == value, key


# (sql, [(function, model_name, version, input_sql, params_dict, alias, span text)] in tree order)
ML_FUNCTIONS = [
    (
        "SELECT * FROM ML.PREDICT(MODEL m, TABLE t)",
        [("PREDICT", (None, "m"), None, "t", {}, "", "ML.PREDICT(MODEL m, TABLE t)")],
    ),
    (
        'SELECT * FROM ml.predict(MODEL `s`.`m` VERSION 2, TABLE main."T") AS p',
        [("PREDICT", ("s", "m"), 2, 'main."T"', {}, "p", 'ml.predict(MODEL `s`.`m` VERSION 2, TABLE main."T")')],
    ),
    (
        "SELECT * FROM ML.EVALUATE(MODEL m, STRUCT(0.6 AS Threshold)) e",
        [
            (
                "EVALUATE",
                (None, "m"),
                None,
                None,
                {"threshold": 0.6},
                "e",
                "ML.EVALUATE(MODEL m, STRUCT(0.6 AS Threshold))",
            )
        ],
    ),
    (
        "SELECT * FROM ML.Explain_Predict(MODEL m, (SELECT a  FROM t), STRUCT(3 AS top_k, 'x' AS s))",
        [
            (
                "EXPLAIN_PREDICT",
                (None, "m"),
                None,
                "SELECT a  FROM t",
                {"top_k": 3, "s": "x"},
                "",
                "ML.Explain_Predict(MODEL m, (SELECT a  FROM t), STRUCT(3 AS top_k, 'x' AS s))",
            )
        ],
    ),
    (
        "WITH x AS (\n  SELECT * FROM ML.PREDICT(MODEL m,\n    (FROM ML.PREDICT(MODEL n, TABLE t)))\n)\n"
        "SELECT * FROM x JOIN ML.EVALUATE(MODEL m) ev ON TRUE",
        [
            (
                "PREDICT",
                (None, "m"),
                None,
                "FROM ML.PREDICT(MODEL n, TABLE t)",
                {},
                "",
                "ML.PREDICT(MODEL m,\n    (FROM ML.PREDICT(MODEL n, TABLE t)))",
            ),
            ("PREDICT", (None, "n"), None, "t", {}, "", "ML.PREDICT(MODEL n, TABLE t)"),
            ("EVALUATE", (None, "m"), None, None, {}, "ev", "ML.EVALUATE(MODEL m)"),
        ],
    ),
    (
        "CREATE MODEL m2 AS SELECT * FROM ML.PREDICT(MODEL m, TABLE t)",
        [("PREDICT", (None, "m"), None, "t", {}, "", "ML.PREDICT(MODEL m, TABLE t)")],
    ),
]


@pytest.mark.parametrize(("sql", "expected"), ML_FUNCTIONS)
def test_ml_function_fields(sql: str, expected: list[tuple]) -> None:
    functions = sorted(parse_statement(sql).find_all(MLFunction), key=lambda f: f.span)
    actual = [
        (f.function, f.model_name, f.args.get("version"), f.input_sql, f.params_dict, f.alias, sql[slice(*f.span)])
        for f in functions
    ]
    assert actual == expected


def test_ml_function_input_nodes() -> None:
    table = parse_statement("SELECT * FROM ML.PREDICT(MODEL m, TABLE s.t)").find(MLFunction)
    assert isinstance(table.args["input"], exp.Table) and table.args["input"].db == "s"
    query = parse_statement("SELECT * FROM ML.PREDICT(MODEL m, (SELECT 1 UNION SELECT 2))").find(MLFunction)
    assert isinstance(query.args["input"], exp.Union)
    assert query.args["params"] is None and query.args.get("version") is None


def test_span_splice_keeps_alias() -> None:
    sql = "SELECT p.* FROM ML.PREDICT(MODEL m, TABLE t) AS p"
    start, end = parse_statement(sql).find(MLFunction).span
    assert sql[:start] + "v_1" + sql[end:] == "SELECT p.* FROM v_1 AS p"


SPLITS = [
    ("SELECT 1; SELECT 2", ["SELECT 1", "SELECT 2"]),
    ("SELECT 1;\n\nSELECT 2;\n", ["SELECT 1", "SELECT 2"]),
    ("SELECT ';' AS a; SELECT 2", ["SELECT ';' AS a", "SELECT 2"]),
    ('SELECT 1 AS "a;b"; SELECT 2', ['SELECT 1 AS "a;b"', "SELECT 2"]),
    ("CREATE MODEL `m;x` AS SELECT 1; DROP MODEL `m;x`", ["CREATE MODEL `m;x` AS SELECT 1", "DROP MODEL `m;x`"]),
    ("SELECT 1 -- a;b\n; SELECT 2", ["SELECT 1 -- a;b", "SELECT 2"]),
    ("SELECT /* ; */ 1;;  ; SELECT 2", ["SELECT /* ; */ 1", "SELECT 2"]),
    ("SELECT $$a;b$$; SELECT $t$x;y$t$", ["SELECT $$a;b$$", "SELECT $t$x;y$t$"]),
    ("CALL f('a;b'); SELECT 1", ["CALL f('a;b')", "SELECT 1"]),
    ("SELECT 1; -- done", ["SELECT 1"]),
    ("", []),
    (" ; ;\n ", []),
    ("  SELECT 1  ", ["SELECT 1"]),
]


@pytest.mark.parametrize(("sql", "expected"), SPLITS)
def test_split_statements(sql: str, expected: list[str]) -> None:
    assert split_statements(sql) == expected


def test_split_statements_token_error() -> None:
    with pytest.raises(SqlSyntaxError) as info:
        split_statements("SELECT 1;\nSELECT 'abc")
    assert (info.value.line, info.value.col) == (2, 8)


IS_ML = [
    ("CREATE MODEL m AS SELECT 1", True),
    ("create or replace model m options(model_type='x') as select 1", True),
    ("DROP MODEL m", True),
    ("DROP MODEL", True),
    ("SHOW MODELS", True),
    ("DESCRIBE MODEL m", True),
    ("desc model m", True),
    ("EXPORT MODEL m", True),
    ("ALTER MODEL m SET OPTIONS(a=1)", True),
    ("SELECT * FROM ML.PREDICT(MODEL m, TABLE t)", True),
    ("select * from ml.predict(model m, table t)", True),
    ("WITH p AS (SELECT * FROM ML.EVALUATE(MODEL m)) SELECT * FROM p", True),
    ("SELECT * FROM ML /* c */ . PREDICT (MODEL m)", True),
    ("SELECT model FROM t", False),
    ("SELECT * FROM models", False),
    ("CREATE TABLE models AS SELECT 1 AS model", False),
    ("DROP TABLE model", False),
    ("DESCRIBE model", False),
    ("DESCRIBE model.x", False),
    ("SELECT ml.x FROM ml", False),
    ("SELECT 'ML.PREDICT(MODEL m)' AS s", False),
    ('SELECT "ml".predict(1)', False),
    ("SELECT s.ml.predict(1)", False),
    ("SELECT 1", False),
]


@pytest.mark.parametrize(("sql", "expected"), IS_ML)
def test_is_ml_statement(sql: str, expected: bool) -> None:
    assert is_ml_statement(sql) is expected


HAS_ML_KEYWORD = [
    ("SELECT * FROM ML.PREDICT(MODEL m, TABLE t)", True),
    ("select * from ml . predict(model m)", True),
    ("SELECT * FROM ML/* c */.PREDICT(MODEL m)", True),
    ("CREATE MODEL m AS SELECT 1", True),
    ("SHOW MODELS", True),
    ("SELECT model FROM t", True),  # a false positive: only costs a parse
    ("SELECT 1", False),
    ("SELECT html.x FROM modelling", False),
    ("SELECT * FROM t", False),
]


@pytest.mark.parametrize(("sql", "expected"), HAS_ML_KEYWORD)
def test_has_ml_keyword(sql: str, expected: bool) -> None:
    assert has_ml_keyword(sql) is expected


# (sql, line, col): the offending token's start, or just past the last token at the end.
SYNTAX_ERRORS = [
    ("CREATE MODEL m OPTIONS(model_type='linear_reg' AS SELECT 1", 1, 48),
    ("CREATE MODEL AS SELECT 1", 1, 14),
    ("DROP MODEL", 1, 11),
    ("SELECT * FROM ML.PREDICT(m, TABLE t)", 1, 26),
    ("CREATE OR REPLACE MODEL IF NOT EXISTS m AS SELECT 1", 1, 25),
    ("SELECT * FROM ML.PREDICT(MODEL m, TABLE t", 1, 42),
    ("CREATE MODEL m OPTIONS(model_type=) AS SELECT 1", 1, 35),
    ("CREATE MODEL m OPTIONS(model_type='x', , ) AS SELECT 1", 1, 40),
    ("CREATE MODEL m OPTIONS(,) AS SELECT 1", 1, 24),
    ("CREATE MODEL m\nOPTIONS(\n  model_type = 'x',\n  foo\n) AS SELECT 1", 5, 1),
    ("SELECT *\nFROM ML.PREDICT(\n    MODEL m,\n    TABLE t\n", 4, 12),
    ("SELECT *\nFROM ML.PREDICT(MODEL m VERSION x)", 2, 33),
    ("SELECT * FROM ML.PREDICT(MODEL m, STRUCT(1))", 1, 35),
    ("SELECT * FROM ML.PREDICT(MODEL m, 5)", 1, 35),
    ("SELECT * FROM ML.DESCRIBE_DATA(MODEL m)", 1, 32),
    ("SELECT * FROM ML.DESCRIBE_DATA(STRUCT(1 AS top_k))", 1, 32),
    ("SELECT * FROM ML.VALIDATE_DATA_DRIFT(TABLE a, TABLE)", 1, 52),
    ("CREATE MODEL m AS", 1, 18),
    ("CREATE MODEL m AS 1", 1, 19),
    ("CREATE MODEL m extra", 1, 16),
    ("CREATE MODEL m OPTIONS(model_type='onnx') SELECT 1", 1, 43),
    ("DROP MODEL m extra", 1, 14),
    ("SELECT 1 FROM", 1, 14),
    ("SELECT 1;\n  SELECT 2", 2, 3),
    ("", 1, 1),
    ("SELECT 'abc", 1, 8),
]


@pytest.mark.parametrize(("sql", "line", "col"), SYNTAX_ERRORS)
def test_syntax_errors(sql: str, line: int, col: int) -> None:
    with pytest.raises(SqlSyntaxError) as info:
        parse_statement(sql)
    assert (info.value.line, info.value.col) == (line, col)


def test_syntax_error_message_is_short() -> None:
    with pytest.raises(SqlSyntaxError, match=r"^Expected '\)' after OPTIONS list near 'AS' \(line 1, column 48\)$"):
        parse_statement("CREATE MODEL m OPTIONS(model_type='linear_reg' AS SELECT 1")


@pytest.mark.parametrize(
    "sql, line, col",
    [("ALTER MODEL m SET ACTIVE VERSION x", 1, 34), ("ALTER MODEL m RENAME TO n", 1, 15), ("ALTER MODEL m SET", 1, 18)],
)
def test_bad_alter_model(sql: str, line: int, col: int) -> None:
    with pytest.raises(SqlSyntaxError) as caught:
        parse_statement(sql)
    assert (caught.value.line, caught.value.col) == (line, col)


@pytest.mark.parametrize("sql", ["CALL f()", "CHECKPOINT", "FORCE CHECKPOINT", "LOAD httpfs"])
def test_no_sqlglot_warnings(sql: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="sqlglot"):
        parse_statement(sql)
    assert not caplog.records


def test_options_may_end_with_a_comma() -> None:
    """BigQuery ML's own examples write `OPTIONS (model_type='linear_reg', input_label_cols=['label'], )`
    (https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-predict)."""
    node = parse_statement(
        "CREATE MODEL m OPTIONS (model_type='linear_reg',\n  input_label_cols=['label'],\n) AS SELECT 1"
    )
    assert list(node.options_dict) == ["model_type", "input_label_cols"]


def test_unnamed_struct_option_values_become_tuples() -> None:
    node = parse_statement(
        "CREATE MODEL m OPTIONS(class_weights=[STRUCT('a', 0.25), STRUCT('b', 3)], p=STRUCT(1 AS k)) AS SELECT 1"
    )
    options = node.options_dict
    assert options["class_weights"] == [("a", 0.25), ("b", 3)]
    assert isinstance(options["p"], exp.Struct)  # named fields stay an expression
