"""ML.MODEL_CARD: the numbers of the card read back from its Markdown / HTML and compared with scikit-learn /
fairlearn run here on ML.PREDICT's output for the same rows, the ROC polyline with ML.ROC_CURVE, the error
slices with SQL over ML.PREDICT; the description and labels of ALTER MODEL; escaping; bad input."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import numpy as np
import pytest
from fairlearn import metrics as fm
from sklearn import metrics as skm

import sqlml
from tests.engine.reference import fails

SPLIT = "CREATE OR REPLACE TABLE split AS SELECT *, id % 4 = 0 AS is_eval FROM train"
FEATURES = "x1, x2, color, flag"


def _rows(con, sql) -> list[dict]:
    cur = con.cursor()
    cur.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def _card(con, sql) -> str:
    (row,) = _rows(con, sql)
    assert list(row) == ["model_card"]
    return row["model_card"]


def _section(card: str, title: str) -> str:
    return card.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])|(.)")  # CommonMark: a backslash before ASCII punctuation escapes it


def _shown(text: str) -> tuple[str, str]:
    """(the text CommonMark shows for Markdown `text`, the characters of it no backslash escapes)."""
    pairs = ESCAPE.findall(text)
    return "".join(escaped or char for escaped, char in pairs), "".join(char for _, char in pairs)


def _cells(line: str) -> list[str]:
    """The cells of a Markdown table row, as shown: split at the unescaped `|`."""
    cells = [""]
    for escaped, char in ESCAPE.findall(line.strip()[1:-1]):
        if char == "|":
            cells.append("")
        else:
            cells[-1] += escaped or char
    return [c.strip() for c in cells]


def _table(text: str) -> list[dict]:
    """The first Markdown table of `text`: one dict per row, cells as shown."""
    lines = [line for line in text.split("\n\n") if line.startswith("|")][0].splitlines()
    cells = [_cells(line) for line in lines]
    return [dict(zip(cells[0], row)) for row in cells[2:]]


def _number(cell: str) -> float | None:
    return None if cell == "" else float(cell)


def _create(con, name, kind, label, split=True):
    cur = con.cursor()
    cur.execute(SPLIT)
    cur.execute(
        f"CREATE OR REPLACE MODEL {name} OPTIONS(model_type='{kind}', input_label_cols=['{label}']"
        + (", data_split_method='CUSTOM', data_split_col='is_eval'" if split else "")
        + f") AS SELECT {FEATURES}, {label}"
        + (", is_eval" if split else "")
        + " FROM split"
    )


def _sklearn_metrics(con, model, label, rows_sql, classes=None) -> dict:
    """scikit-learn's metrics of ML.PREDICT's output for the rows of `rows_sql` (as ML.EVALUATE names them)."""
    rows = _rows(con, f"SELECT * FROM ML.PREDICT(MODEL {model}, ({rows_sql}))")
    y = np.array([r[label] for r in rows])
    predicted = np.array([r[f"predicted_{label}"] for r in rows])
    if classes is None:
        return {
            "mean_absolute_error": skm.mean_absolute_error(y, predicted),
            "mean_squared_error": skm.mean_squared_error(y, predicted),
            "mean_squared_log_error": None,
            "median_absolute_error": skm.median_absolute_error(y, predicted),
            "r2_score": skm.r2_score(y, predicted),
            "explained_variance": skm.explained_variance_score(y, predicted),
        }
    probs = np.array([[e["prob"] for e in r[f"predicted_{label}_probs"]] for r in rows])
    assert [e["label"] for e in rows[0][f"predicted_{label}_probs"]] == classes
    average = {"average": "binary", "pos_label": classes[1]} if len(classes) == 2 else {"average": "macro"}
    return {
        "precision": skm.precision_score(y, predicted, **average),
        "recall": skm.recall_score(y, predicted, **average),
        "accuracy": skm.accuracy_score(y, predicted),
        "f1_score": skm.f1_score(y, predicted, **average),
        "log_loss": skm.log_loss(y, probs, labels=classes),
        "roc_auc": skm.roc_auc_score(y == classes[1], probs[:, 1])
        if len(classes) == 2
        else skm.roc_auc_score(y, probs, multi_class="ovr", labels=classes),
    }


@pytest.mark.parametrize(
    "kind, label, classes",
    [
        ("logistic_reg", "y_bin", ["no", "yes"]),
        ("boosted_tree_classifier", "y_multi", [0, 1, 2]),
        ("linear_reg", "y_reg", None),
    ],
)
def test_metrics_equal_scikit_learn(loaded, kind, label, classes):
    """The stored column is the evaluation split's (the CUSTOM split's rows), the input column ML.EVALUATE's
    on the rows given; both equal scikit-learn's on ML.PREDICT's output."""
    _create(loaded, "m", kind, label)
    card = _card(loaded, "SELECT * FROM ML.MODEL_CARD(MODEL m, (SELECT * FROM test WHERE id < 150))")
    table = {row["metric"]: row for row in _table(_section(card, "Metrics"))}
    stored = _sklearn_metrics(loaded, "m", label, "SELECT * FROM split WHERE is_eval", classes)
    given = _sklearn_metrics(loaded, "m", label, "SELECT * FROM test WHERE id < 150", classes)
    assert list(table) == list(stored)
    for metric in stored:
        for column, reference in (("stored", stored), ("input", given)):
            expected, got = reference[metric], _number(table[metric][column])
            assert got == (None if expected is None else pytest.approx(expected, rel=1e-5, abs=1e-9)), (metric, column)
    eval_rows, train_rows = (
        sum(r["is_eval"] == flag for r in _rows(loaded, "SELECT is_eval FROM split")) for flag in (True, False)
    )
    assert f"- Rows: {train_rows} training, {eval_rows} evaluation, 0 dropped (NULL label)" in card


def test_description_labels_and_versions(loaded):
    _create(loaded, "m", "logistic_reg", "y_bin")
    cur = loaded.cursor()
    cur.execute(
        "ALTER MODEL m SET OPTIONS(description='Flags <script>alert(1)</script> risky & odd rows', "
        "labels=[('team', 'risk'), ('tier', 'gold')])"
    )
    cur.execute(
        "CREATE OR REPLACE MODEL m OPTIONS(model_type='linear_reg', input_label_cols=['y_reg'], "
        "data_split_method='NO_SPLIT') "
        "AS SELECT x1, y_reg FROM train"
    )
    card = _card(loaded, "SELECT model_card FROM ML.MODEL_CARD(MODEL m VERSION 1)")
    assert card.startswith("# Model card: main.m (version 1)\n")
    overview = _section(card, "Overview")
    assert "Flags \\<script>alert(1)\\</script> risky & odd rows" in overview  # no raw HTML in Markdown
    assert re.search(r"(?<!\\)<script", card) is None
    assert "- Labels: team = risk, tier = gold" in overview and "- Predicts: y_bin (string)" in overview
    assert "Intended use, as described: Flags" in _section(card, "Intended use and limitations")
    history = _table(_section(card, "Version history"))
    assert [(r["version"], r["active"], r["training_rows"]) for r in history] == [
        ("1", "false", "450"),
        ("2", "true", "600"),
    ]
    page = _card(loaded, "SELECT * FROM ML.MODEL_CARD(MODEL m VERSION 1, STRUCT('html' AS format))")
    assert "<script" not in page and "Flags &lt;script&gt;alert(1)&lt;/script&gt; risky &amp; odd rows" in page
    cur.execute("ALTER MODEL m SET OPTIONS(description=NULL, labels=NULL)")
    card = _card(loaded, "SELECT * FROM ML.MODEL_CARD(MODEL m)")
    assert "No description" in card and "- Labels: none" in card and "- Version: 2" in card


HOSTILE = [
    "# Title ``` x",
    "- [x](javascript:alert(1)) ![](http://tracker) <http://t.co>",
    "1. <img src=x onerror=alert(1)> *b* __init__ _i_ &amp; | ~~s~~ \\*",
    "> quote\n\n```\ncode\n~~~",
    "+ a\n=== \\` `` [r]: http://t.co",
]
SECTIONS = [
    "Overview",
    "Specification",
    "Training data and lineage",
    "Intended use and limitations",
    "Metrics",
    "Explanations",
    "Fairness",
    "Error slices",
    "Version history",
]


@pytest.mark.parametrize("description", HOSTILE, ids=range(len(HOSTILE)))
def test_markdown_shows_user_text_as_text(loaded, description):
    """A description, a label, a column name and category values full of Markdown: each shows as itself (read
    back by CommonMark's backslash escapes), no character of it can start markup, and the card keeps its
    headings and code blocks."""
    cur = loaded.cursor()
    cur.execute(
        "CREATE TABLE hostile AS SELECT x1 AS \"*c*_[a](b)\", x2, CASE WHEN id % 2 = 0 THEN '<b>|x' "
        "ELSE '`y` # *z*' END AS g, y_bin FROM test"
    )
    cur.execute(
        "CREATE MODEL m OPTIONS(model_type='logistic_reg', input_label_cols=['y_bin']) "
        "AS SELECT * EXCLUDE (g) FROM hostile"
    )
    cur.execute(
        f"ALTER MODEL m SET OPTIONS(description={sqlml.engine.sqltext.quoting.literal(description)}, "
        "labels=[('team', '[t](http://t.co)')])"
    )
    card = _card(loaded, "SELECT * FROM ML.MODEL_CARD(MODEL m, TABLE hostile, STRUCT('g' AS sensitive_feature))")
    lines = card.splitlines()
    assert [line for line in lines if line.startswith(("#", ">"))] == [
        "# Model card: main.m (version 1)",
        *(f"## {title}" for title in SECTIONS),
    ]
    assert [line for line in lines if line.startswith(("```", "~~~"))] == ["```sql", "```"]  # the training query
    text = " ".join(description.split())
    overview = _section(card, "Overview").strip().split("\n\n")[0]
    intended = _section(card, "Intended use and limitations").strip().split("\n\n")[0]
    for markdown, shown in ((overview, text), (intended, f"Intended use, as described: {text}")):
        assert _shown(markdown)[0] == shown
        live = _shown(markdown)[1]
        assert not re.search(r"^\s*([-+>#]|\d+[.)])|[`*_\[\]<~]|&#?\w+;", live), live
    assert "- Labels: team = \\[t\\](http://t.co)" in card
    assert _table(_section(card, "Specification"))[0]["input"] == "*c*_[a](b)"
    assert {r["group"] for r in _table(_section(card, "Fairness"))} == {"<b>|x", "`y` # *z*", "__OVERALL__"}


def test_options_are_shown_exactly(loaded):
    loaded.cursor().execute(
        "CREATE MODEL m OPTIONS(model_type='logistic_reg', input_label_cols=['y_bin'], "
        "l2_reg=0.123456789, max_iterations=7) AS SELECT x1, y_bin FROM train"
    )
    card = _card(loaded, "SELECT * FROM ML.MODEL_CARD(MODEL m)")
    options = {row["option"]: row["value"] for row in _table(_section(card, "Specification").split("Options", 1)[1])}
    assert options["l2_reg"] == "0.123456789" and options["max_iterations"] == "7"
    assert options["input_label_cols"] == '["y_bin"]'


def test_fairness_matches_fairlearn(loaded):
    _create(loaded, "m", "logistic_reg", "y_bin")
    card = _card(loaded, "SELECT * FROM ML.MODEL_CARD(MODEL m, TABLE test, STRUCT('color' AS sensitive_feature))")
    fairness = _section(card, "Fairness")
    rows = _rows(loaded, "SELECT color, y_bin, predicted_y_bin FROM ML.PREDICT(MODEL m, TABLE test)")
    groups = np.array(["NULL" if r["color"] is None else r["color"] for r in rows])
    y = np.array([r["y_bin"] == "yes" for r in rows])
    predicted = np.array([r["predicted_y_bin"] == "yes" for r in rows])
    bullets = dict(re.findall(r"^- (\w+): (\S+)$", fairness, re.M))
    assert float(bullets["demographic_parity_difference"]) == pytest.approx(
        fm.demographic_parity_difference(y, predicted, sensitive_features=groups), rel=1e-5
    )
    assert float(bullets["equalized_odds_difference"]) == pytest.approx(
        fm.equalized_odds_difference(y, predicted, sensitive_features=groups), rel=1e-5
    )
    table = {row["group"]: row for row in _table(fairness)}
    assert set(table) == {"NULL", "blue", "green", "red", "purple", "__OVERALL__"}
    for group in set(groups):
        mask = groups == group
        assert int(table[group]["count"]) == mask.sum()
        assert float(table[group]["selection_rate"]) == pytest.approx(predicted[mask].mean(), rel=1e-5)
    assert "Not computed" in _section(_card(loaded, "SELECT * FROM ML.MODEL_CARD(MODEL m)"), "Fairness")


def test_fairness_of_a_single_null_group(loaded):
    """Every row in the NULL group: the table keeps its group column, the bullets are the four disparities,
    all as fairlearn computes them for one group."""
    _create(loaded, "m", "logistic_reg", "y_bin")
    card = _card(
        loaded,
        "SELECT * FROM ML.MODEL_CARD(MODEL m, (SELECT *, NULL::VARCHAR AS g FROM test), "
        "STRUCT('g' AS sensitive_feature))",
    )
    fairness = _section(card, "Fairness")
    rows = _rows(loaded, "SELECT y_bin, predicted_y_bin FROM ML.PREDICT(MODEL m, TABLE test)")
    y, predicted = (np.array([r[c] == "yes" for r in rows]) for c in ("y_bin", "predicted_y_bin"))
    table = _table(fairness)
    assert [r["group"] for r in table] == ["NULL", "__OVERALL__"]
    for row in table:
        assert int(row["count"]) == len(rows)
        assert float(row["selection_rate"]) == pytest.approx(predicted.mean(), rel=1e-5)
    groups = np.zeros(len(rows))
    reference = {
        "demographic_parity_difference": fm.demographic_parity_difference,
        "demographic_parity_ratio": fm.demographic_parity_ratio,
        "equalized_odds_difference": fm.equalized_odds_difference,
        "equalized_odds_ratio": fm.equalized_odds_ratio,
    }
    bullets = dict(re.findall(r"^- (.+): (.*)$", fairness, re.M))
    assert list(bullets) == list(reference)
    for name, function in reference.items():
        assert float(bullets[name]) == pytest.approx(function(y, predicted, sensitive_features=groups))


def test_error_slices_are_the_worst_rows(con):
    """A model that can only guess where g = 'b': the card's slices have the sizes and error rates SQL over
    ML.PREDICT gives them, and the top one is g = 'b'."""
    rng = np.random.default_rng(0)
    x, g = rng.normal(size=400), np.where(np.arange(400) % 4 == 0, "b", "a")
    y = np.where(g == "a", x > 0, rng.random(400) < 0.5)
    cur = con.cursor()
    cur.execute("CREATE TABLE d (x DOUBLE, g VARCHAR, y BOOLEAN)")
    cur.executemany("INSERT INTO d VALUES (?, ?, ?)", [(float(a), b, bool(c)) for a, b, c in zip(x, g, y)])
    cur.execute("CREATE MODEL m OPTIONS(model_type='logistic_reg', input_label_cols=['y']) AS SELECT * FROM d")
    slices = _table(_section(_card(con, "SELECT * FROM ML.MODEL_CARD(MODEL m, TABLE d)"), "Error slices"))
    assert slices and slices[0]["slice"].replace('"', "") == "g = 'b'"
    for row in slices:
        ((size, error),) = [
            tuple(r.values())
            for r in _rows(
                con,
                f"SELECT count(*), avg((predicted_y != y)::INT) FROM ML.PREDICT(MODEL m, TABLE d) WHERE {row['slice']}",
            )
        ]
        assert int(row["size"]) == size and float(row["error"]) == pytest.approx(error, rel=1e-5)
    assert "Not computed" in _section(_card(con, "SELECT * FROM ML.MODEL_CARD(MODEL m)"), "Error slices")


class _Balance(HTMLParser):
    """Checks that every tag is closed in order; collects the attributes of every tag."""

    VOID = {"meta", "br", "hr", "img", "input", "link"}

    def __init__(self):
        super().__init__()
        self.open, self.tags, self.errors = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if not self.open or self.open.pop() != tag:
            self.errors.append(tag)


def _parse(page: str) -> _Balance:
    parser = _Balance()
    parser.feed(page)
    parser.close()
    assert parser.errors == [] and parser.open == []
    return parser


@pytest.mark.parametrize("given", ["", ", TABLE test"])
def test_html_roc_curve_and_bars(loaded, given):
    _create(loaded, "m", "logistic_reg", "y_bin")
    page = _card(loaded, f"SELECT * FROM ML.MODEL_CARD(MODEL m{given}, STRUCT('HTML' AS format))")
    assert page.startswith("<!DOCTYPE html>")
    parsed = _parse(page)
    assert [t for t, _ in parsed.tags].count("svg") == 2
    (curve,) = [a["points"] for t, a in parsed.tags if t == "polyline"]
    points = [tuple(map(float, p.split(","))) for p in curve.split()]
    roc = _rows(loaded, f"SELECT false_positive_rate, recall FROM ML.ROC_CURVE(MODEL m{given})")
    assert len(points) == len(roc) + 2 and points[0] == (1, 1) and points[-1] == (0, 0)
    np.testing.assert_allclose(points[1:-1], [(r["false_positive_rate"], r["recall"]) for r in roc], rtol=1e-5)
    bars = [a for t, a in parsed.tags if t == "rect" and a.get("class") == "bar"]
    widths = [float(b["width"]) for b in bars]
    assert len(bars) == 4 and widths == sorted(widths, reverse=True) and widths[0] == 300
    assert "<h2>Metrics</h2>" in page and "```" not in page


def test_kmeans_card(loaded):
    """A model without a label: the input's mean squared distance is the one of ML.PREDICT's distances."""
    loaded.cursor().execute("CREATE MODEL k OPTIONS(model_type='kmeans', num_clusters=3) AS SELECT x1, x2 FROM train")
    card = _card(loaded, "SELECT * FROM ML.MODEL_CARD(MODEL k, TABLE test)")
    metrics = {row["metric"]: row for row in _table(_section(card, "Metrics"))}
    distances = [
        r["d"]
        for r in _rows(
            loaded, "SELECT nearest_centroids_distance[1].distance AS d FROM ML.PREDICT(MODEL k, TABLE test)"
        )
    ]
    assert float(metrics["mean_squared_distance"]["input"]) == pytest.approx(np.mean(np.square(distances)), rel=1e-5)
    assert "Not applicable" in _section(card, "Error slices") and "Predicts" not in card
    _parse(_card(loaded, "SELECT * FROM ML.MODEL_CARD(MODEL k, STRUCT('html' AS format))"))


BAD = [
    (
        "SELECT * FROM ML.MODEL_CARD(MODEL m, STRUCT('pdf' AS format))",
        sqlml.ProgrammingError,
        ["ML.MODEL_CARD parameter format", "'markdown' or 'html'", "'pdf'"],
    ),
    (
        "SELECT * FROM ML.MODEL_CARD(MODEL m, STRUCT(1 AS format))",
        sqlml.ProgrammingError,
        ["ML.MODEL_CARD parameter format must be a string"],
    ),
    (
        "SELECT * FROM ML.MODEL_CARD(MODEL m, STRUCT('color' AS sensitive_feature))",
        sqlml.ProgrammingError,
        ["ML.MODEL_CARD parameter sensitive_feature needs input data", "TABLE t"],
    ),
    (
        "SELECT * FROM ML.MODEL_CARD(MODEL m, STRUCT('html' AS colour))",
        sqlml.ProgrammingError,
        ["ML.MODEL_CARD has no parameter 'colour'", "format, sensitive_feature"],
    ),
    ("SELECT * FROM ML.MODEL_CARD(MODEL m VERSION 9)", sqlml.ProgrammingError, ["main.m", "no version 9"]),
    ("SELECT * FROM ML.MODEL_CARD(MODEL nope)", sqlml.ProgrammingError, ["main.nope", "does not exist"]),
    (
        "SELECT * FROM ML.MODEL_CARD(MODEL m, TABLE test, STRUCT('shade' AS sensitive_feature))",
        sqlml.ProgrammingError,
        ["sensitive_feature 'shade' is not a column"],
    ),
    (
        "SELECT * FROM ML.MODEL_CARD(MODEL m, (SELECT x1, x2, color, flag FROM test))",
        sqlml.ProgrammingError,
        ["no label column 'y_bin'"],
    ),
]


@pytest.mark.parametrize("sql, error, fragments", BAD, ids=range(len(BAD)))
def test_bad_cards(loaded, sql, error, fragments):
    _create(loaded, "m", "logistic_reg", "y_bin", split=False)
    fails(loaded, sql, error, *fragments)
