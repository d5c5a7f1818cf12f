"""GoogleSQL (BigQuery) text -> the same statements in sqlml's DuckDB dialect, with BigQuery's meaning.

sqlglot's BigQuery parser, with the ML statements of `MLStatementsMixin`, reads the text. A generator on
sqlml's DuckDB generator writes it (the ML nodes come out as sqlml's DuckDB dialect reads them), with
BigQuery's meaning where sqlglot's translation is missing or differs: FARM_FINGERPRINT, EXTRACT parts,
UNNEST (of structs, WITH OFFSET, an alias shadowing its array), arrays of a typed STRUCT then tuples, SAFE.,
PARSE_TIMESTAMP, FORMAT_TIMESTAMP's zone, GENERATE_ARRAY, NUMERIC, FLOAT64 literals, DATE_* types, SUBSTR,
ARRAY_AGG(... LIMIT n), APPROX_QUANTILES, FORMAT, IEEE_DIVIDE, RANGE_BUCKET, ST_DISTANCE of points, dashed names;
wildcard tables (`parser/wildcard_tables.py`).
The rest of BigQuery's meaning is the DuckDB connection's (`sqlml.engine.sqltext.bigquery_functions.install`:
the farm_fingerprint function, errors for 1/0 and LOG(-1), the UTC time zone)."""

from __future__ import annotations

import functools
import re
import typing as t

from sqlglot import exp
from sqlglot.dialects.bigquery import BigQuery
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.parsers.bigquery import BigQueryParser
from sqlglot.tokens import TokenType

from sqlml.errors import NotSupportedError
from sqlml.parser.dialect import MLFunction, MLStatementsMixin, SqlmlDialect, SqlmlGenerator
from sqlml.parser.statements import parse_statement, tokenize
from sqlml.parser.wildcard_tables import Tables, expand, is_wildcard

_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
# BigQuery's days of the week (WEEK(<day>)), numbered as DuckDB's DAYOFWEEK (Sunday = 0)
_DAYS = ("SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY")
# EXTRACT parts DuckDB counts from the minute: BigQuery's count within the second
_SUB_SECOND = {"MILLISECOND": 1000, "MICROSECOND": 1000000}
# EXTRACT parts that are values of another type
_CASTS = {"DATE": exp.DType.DATE, "TIME": exp.DType.TIME, "DATETIME": exp.DType.TIMESTAMP}
# ST_DISTANCE of two points on a sphere (BigQuery's default, use_spheroid=FALSE): the haversine formula with
# the Earth radius of S2, the geometry library under BigQuery's GEOGRAPHY
_GREAT_CIRCLE = exp.maybe_parse(
    "2 * 6371010.0 * ASIN(SQRT(POWER(SIN(RADIANS(:lat2 - :lat1) / 2), 2)"
    " + COS(RADIANS(:lat1)) * COS(RADIANS(:lat2)) * POWER(SIN(RADIANS(:lon2 - :lon1) / 2), 2)))"
)
# IEEE_DIVIDE(x, y): x / y, with +/-inf and NaN where y = 0 (DuckDB's division raises there, as BigQuery's)
_IEEE_DIVIDE = exp.maybe_parse(
    "CASE WHEN :x IS NULL OR :y IS NULL THEN NULL WHEN :y <> 0 THEN :x / :y"
    " WHEN :x > 0 THEN CAST('inf' AS DOUBLE) WHEN :x < 0 THEN CAST('-inf' AS DOUBLE) ELSE CAST('nan' AS DOUBLE) END"
)


def _returning_date(name: str) -> t.Callable[[list], exp.Expr]:
    """DATE_ADD / DATE_SUB / DATE_TRUNC return a DATE in BigQuery, where DuckDB's DATE +/- INTERVAL and
    DATE_TRUNC give a TIMESTAMP."""
    build = BigQueryParser.FUNCTIONS[name]
    return lambda args: exp.cast(build(args), exp.DType.DATE)


def _from_position_one(substring: exp.Substring) -> exp.Substring:
    """SUBSTR(s, position, ...) starts at 1 for a position 0 or left of the string's start, in BigQuery
    (DuckDB's takes fewer characters)."""
    start = substring.args.get("start")
    if start is None or (isinstance(start, exp.Literal) and start.is_int and int(start.name) > 0):
        return substring
    off_left = exp.or_(
        exp.EQ(this=start.copy(), expression=exp.Literal.number(0)),
        exp.LT(this=start.copy(), expression=exp.Neg(this=exp.Length(this=substring.this.copy()))),
    )
    substring.set("start", exp.case().when(off_left, exp.Literal.number(1)).else_(start))
    return substring


class SqlmlBigQueryParser(MLStatementsMixin, BigQueryParser):
    """BigQuery's parser plus the model statements and ML.<FN>() table functions."""

    FUNCTIONS = {
        **BigQueryParser.FUNCTIONS,
        **{name: _returning_date(name) for name in ("DATE_ADD", "DATE_SUB", "DATE_TRUNC")},
        "SUBSTR": lambda args: _from_position_one(exp.Substring.from_arg_list(args)),
    }

    def _parse_substring(self) -> exp.Substring:
        return _from_position_one(super()._parse_substring())

    def _parse_object_name(self, what: str, max_parts: int) -> exp.Table:
        """A name as BigQuery writes tables: `` `project.dataset.name` ``, `my-project.dataset.name`, ..."""
        start = self._curr
        if start is None or start.token_type in (TokenType.L_PAREN, TokenType.COMMA, TokenType.R_PAREN):
            self.raise_error(f"Expected {what} name")
        name = self._parse_table_parts()
        if len(name.parts) > max_parts:
            form = ".".join(("project", "dataset", "name")[-max_parts:])
            self.raise_error(
                f"Expected {what} name of at most {max_parts} parts ({form}), got {name.sql('bigquery')}", start
            )
        return name


class SqlmlBigQuery(BigQuery):
    """GoogleSQL with sqlml's model statements (and `$1` placeholders, which SQLAlchemy and PostgreSQL clients
    send, besides GoogleSQL's `?` and `@name`)."""

    class Tokenizer(BigQuery.Tokenizer):
        SINGLE_TOKENS = {**BigQuery.Tokenizer.SINGLE_TOKENS, "$": TokenType.PARAMETER}

    Parser = SqlmlBigQueryParser


def _tried(operator: type[exp.Expr]) -> t.Callable[..., str]:
    """SAFE_ADD(a, b) and kin: NULL where the operation raises (overflow)."""
    return lambda self, e: self.func("TRY", operator(**{k: v for k, v in e.args.items() if v is not None}))


def _is_integer_literal(node: exp.Expr | None) -> bool:
    if isinstance(node, exp.Neg):
        node = node.this
    return isinstance(node, exp.Literal) and node.is_int


def _weekday(node: exp.Expr) -> int | None:
    """The weekday number of BigQuery's WEEK(<day>) (WEEK alone is WEEK(SUNDAY)); None for other parts."""
    if isinstance(node, exp.WeekStart):
        day = node.name.upper()
        return _DAYS.index(day) if day in _DAYS else None
    return 0 if node.name.upper() == "WEEK" else None


def _range_bucket(point: exp.Expr, bounds: exp.Expr) -> exp.Expr:
    """RANGE_BUCKET(point, bounds): how many of the sorted bounds are <= point; NULL for a NULL point."""
    bound = exp.to_identifier("bound")
    at_most = exp.Lambda(this=exp.LTE(this=exp.column(bound), expression=point.copy()), expressions=[bound])
    count = exp.Anonymous(this="LEN", expressions=[exp.Anonymous(this="LIST_FILTER", expressions=[bounds, at_most])])
    return exp.case().when(exp.Is(this=point.copy(), expression=exp.null()), exp.null()).else_(count)


def _is_point(node: exp.Expr) -> bool:
    return isinstance(node, exp.Anonymous) and node.name.upper() == "ST_GEOGPOINT"


def _point_struct(node: exp.Anonymous) -> exp.Struct:
    """ST_GEOGPOINT(longitude, latitude) as a DuckDB struct of the two (DuckDB has no GEOGRAPHY)."""
    longitude, latitude = node.expressions
    return exp.Struct(
        expressions=[
            exp.PropertyEQ(this=exp.to_identifier("longitude"), expression=longitude),
            exp.PropertyEQ(this=exp.to_identifier("latitude"), expression=latitude),
        ]
    )


def _coordinates(point: exp.Expr) -> tuple[exp.Expr, exp.Expr]:
    """(longitude, latitude) of ST_GEOGPOINT(...) or of a value that holds one."""
    if _is_point(point):
        return point.expressions[0], point.expressions[1]
    return tuple(exp.Dot(this=point.copy(), expression=exp.to_identifier(name)) for name in ("longitude", "latitude"))


def _unshadow_unnest_aliases(tree: exp.Expr) -> None:
    """`FROM s, UNNEST(s.hits) AS hits`: BigQuery's `hits` is then the element, where DuckDB finds two columns
    named hits (s.hits and the element). Rename the element (`hits_element`) in its query, subqueries included."""
    for unnest in list(tree.find_all(exp.Unnest)):
        alias = unnest.args.get("alias")
        names = alias.columns if isinstance(alias, exp.TableAlias) else []
        query = unnest.find_ancestor(exp.Select)
        if len(names) != 1 or query is None:
            continue
        name = names[0].name
        if not any(column.name == name for column in unnest.find_all(exp.Column)):
            continue
        renamed = f"{name}_element"
        names[0].replace(exp.to_identifier(renamed))
        argument_columns = {id(column) for column in unnest.find_all(exp.Column)}
        for column in list(query.find_all(exp.Column)):
            first = column.parts[0]
            if id(column) in argument_columns or first.name != name:
                continue
            first.replace(exp.to_identifier(renamed))
            if column.parent is query and len(column.parts) == 1:  # a projection keeps its name
                column.replace(exp.alias_(column.copy(), name))


def _type_array_tuples(tree: exp.Expr) -> None:
    """`[STRUCT<a T, ...>(...), (...), ...]`: BigQuery gives the later elements, written as tuples, the first
    one's STRUCT type (DuckDB finds no common type of a STRUCT and a tuple)."""
    for array in tree.find_all(exp.Array):
        first = array.expressions[0] if array.expressions else None
        if not (isinstance(first, exp.Cast) and first.to.is_type(exp.DType.STRUCT)):
            continue
        for element in array.expressions[1:]:
            if isinstance(element, exp.Tuple):
                element.replace(exp.Cast(this=exp.Struct(expressions=element.expressions), to=first.to.copy()))


def _elements_and_offsets(array: exp.Expr, alias: exp.TableAlias | None, offset: exp.Expr) -> exp.Subquery:
    """`UNNEST(array) AS x WITH OFFSET AS o` as `(SELECT UNNEST(array) AS x, UNNEST(RANGE(LEN(array))) AS o)`:
    DuckDB unnests the two lists of a SELECT side by side."""
    element = alias.columns[0] if alias and alias.columns else None
    elements = exp.Unnest(expressions=[array.copy()])
    offsets = exp.Unnest(
        expressions=[exp.Anonymous(this="RANGE", expressions=[exp.Anonymous(this="LEN", expressions=[array.copy()])])]
    )
    name = offset if isinstance(offset, exp.Identifier) else exp.to_identifier("offset")
    return exp.select(exp.alias_(elements, element) if element else elements, exp.alias_(offsets, name)).subquery()


class DuckDBFromBigQuery(SqlmlGenerator):
    """sqlml's DuckDB generator writing GoogleSQL trees with BigQuery's meaning."""

    TRANSFORMS = {
        **SqlmlGenerator.TRANSFORMS,
        exp.FarmFingerprint: lambda self, e: self.func("farm_fingerprint", *e.expressions),
        exp.SafeFunc: lambda self, e: self.func("TRY", e.this),
        exp.SafeAdd: _tried(exp.Add),
        exp.SafeSubtract: _tried(exp.Sub),
        exp.SafeMultiply: _tried(exp.Mul),
        exp.SafeNegate: _tried(exp.Neg),
        exp.CurrentDatetime: lambda self, e: self.func(
            "timezone", e.this or exp.Literal.string("UTC"), exp.CurrentTimestamp()
        ),
        exp.Format: lambda self, e: self.func("PRINTF", e.this, *e.expressions),
        exp.RangeBucket: lambda self, e: self.sql(_range_bucket(e.this, e.expression)),
        exp.TimeToStr: lambda self, e: self.timetostr_sql(e),
        exp.GenerateSeries: lambda self, e: self.generate_array_sql(e),
    }

    def generate(self, expression: exp.Expr, copy: bool = True) -> str:
        expression = expression.copy() if copy else expression
        _unshadow_unnest_aliases(expression)
        _type_array_tuples(expression)
        return super().generate(expression, copy=False)

    def anonymous_sql(self, expression: exp.Anonymous) -> str:
        """Functions DuckDB lacks: ST_GEOGPOINT, IEEE_DIVIDE."""
        name, arguments = expression.name.upper(), expression.expressions
        if len(arguments) == 2 and name == "ST_GEOGPOINT":
            return self.sql(_point_struct(expression))
        if len(arguments) == 2 and name == "IEEE_DIVIDE":
            return self.sql(exp.replace_placeholders(_IEEE_DIVIDE.copy(), x=arguments[0], y=arguments[1]))
        return super().anonymous_sql(expression)

    def stdistance_sql(self, expression: exp.StDistance) -> str:
        """ST_DISTANCE of points, in meters on a sphere."""
        spheroid = expression.args.get("use_spheroid")
        if spheroid is not None and not (isinstance(spheroid, exp.Boolean) and spheroid.this is False):
            raise NotSupportedError(
                "ST_DISTANCE: use_spheroid = TRUE is not supported: sqlml measures distances on a sphere "
                "(BigQuery's default, use_spheroid = FALSE)"
            )
        (lon1, lat1), (lon2, lat2) = _coordinates(expression.this), _coordinates(expression.expression)
        return self.sql(exp.replace_placeholders(_GREAT_CIRCLE.copy(), lon1=lon1, lat1=lat1, lon2=lon2, lat2=lat2))

    def identifier_sql(self, expression: exp.Identifier) -> str:
        """Quote the names BigQuery writes bare and DuckDB cannot (`my-project`)."""
        if not expression.quoted and not _PLAIN_NAME.fullmatch(expression.this):
            expression = exp.Identifier(this=expression.this, quoted=True)
        return super().identifier_sql(expression)

    def datatype_sql(self, expression: exp.DataType) -> str:
        """NUMERIC is DECIMAL(38, 9) in BigQuery (DuckDB's bare DECIMAL is (18, 3))."""
        if expression.is_type(exp.DType.DECIMAL) and not expression.expressions:
            expression = exp.DataType.build("DECIMAL(38, 9)")
        return super().datatype_sql(expression)

    def extract_sql(self, expression: exp.Extract) -> str:
        """EXTRACT parts DuckDB numbers otherwise: DAYOFWEEK (Sunday = 1), WEEK / WEEK(<day>) (week 0 before
        the year's first <day>), ISOWEEK, MILLISECOND / MICROSECOND (within the second)."""
        part, value = expression.this, expression.expression
        name = part.name.upper()
        if name == "DAYOFWEEK":
            return self.sql(exp.paren(exp.func("DAYOFWEEK", value) + 1))
        if name in _CASTS:  # EXTRACT(DATE FROM ts) and kin
            return self.sql(exp.cast(value, _CASTS[name]))
        if name == "ISOWEEK":
            return self.func("WEEK", value)  # DuckDB's WEEK is ISO 8601's
        if name in _SUB_SECOND:
            return self.sql(
                exp.paren(exp.Mod(this=exp.func(name, value), expression=exp.Literal.number(_SUB_SECOND[name])))
            )
        weekday = _weekday(part)
        if weekday is None:
            return super().extract_sql(expression)
        # (days before this week's <day>, within the year) // 7 + 1 = the weeks started in the year so far
        days_into_week = exp.Mod(
            this=exp.paren(exp.func("DAYOFWEEK", value) + (7 - weekday)), expression=exp.Literal.number(7)
        )
        days_before = exp.paren(exp.func("DAYOFYEAR", value) + 6 - days_into_week)
        return self.sql(exp.paren(exp.IntDiv(this=days_before, expression=exp.Literal.number(7))))

    def unnest_sql(self, expression: exp.Unnest) -> str:
        """UNNEST in FROM: unaliased, BigQuery gives a column per struct field (DuckDB's UNNEST(max_depth 2));
        WITH OFFSET numbers the elements from 0 (DuckDB's WITH ORDINALITY from 1)."""
        if not isinstance(expression.parent, (exp.From, exp.Join)):
            return super().unnest_sql(expression)
        alias, offset = expression.args.get("alias"), expression.args.get("offset")
        if offset and len(expression.expressions) == 1:
            return self.sql(_elements_and_offsets(expression.expressions[0], alias, offset))
        if not alias and not offset:
            expression.set("explode_array", True)
        return super().unnest_sql(expression)

    def arrayagg_sql(self, expression: exp.ArrayAgg) -> str:
        """ARRAY_AGG(x ORDER BY .. LIMIT n): the ordered list's first n elements."""
        limit = expression.this
        if not isinstance(limit, exp.Limit):
            return super().arrayagg_sql(expression)
        whole = expression.copy()
        whole.set("this", limit.this.copy())
        return f"{super().arrayagg_sql(whole)}[1:{self.sql(limit, 'expression')}]"

    def approxquantiles_sql(self, expression: exp.ApproxQuantiles) -> str:
        """APPROX_QUANTILES(x, n) returns values of x, as BigQuery's: DuckDB's discrete quantiles."""
        count = expression.expression
        if isinstance(expression.this, exp.Distinct) or not _is_integer_literal(count) or int(count.name) < 1:
            return super().approxquantiles_sql(expression)
        buckets = int(count.name)
        fractions = exp.Array(expressions=[exp.Literal.number(i / buckets) for i in range(buckets + 1)])
        return self.func("QUANTILE_DISC", expression.this, fractions)

    def strtotime_sql(self, expression: exp.StrToTime) -> str:
        """PARSE_TIMESTAMP(fmt, s [, zone]): a TIMESTAMPTZ read in `zone` (UTC by default) unless `fmt` names
        the zone itself (%z, %Z)."""
        parsed = super().strtotime_sql(expression)
        if type(expression) is not exp.StrToTime or re.search("%[zZ]", expression.text("format")):
            return parsed
        return self.func("timezone", expression.args.get("zone") or exp.Literal.string("UTC"), parsed)

    def timetostr_sql(self, expression: exp.TimeToStr) -> str:
        """FORMAT_TIMESTAMP(fmt, ts, zone) writes the time of day in `zone`."""
        zone, value = expression.args.get("zone"), expression.this
        if zone is None:
            return SqlmlGenerator.TRANSFORMS[exp.TimeToStr](self, expression)
        if isinstance(value, exp.TsOrDsToTimestamp):
            value = value.this
        local = exp.func("timezone", zone, exp.cast(value, exp.DType.TIMESTAMPTZ))
        return self.func("STRFTIME", local, self.format_time(expression))

    def literal_sql(self, expression: exp.Literal) -> str:
        """A number with a decimal point is a FLOAT64 in GoogleSQL (lexical#floating_point_literals), a DECIMAL
        in DuckDB unless written with an exponent."""
        text = super().literal_sql(expression)
        if expression.is_number and not expression.is_int and not re.search("[eE]", text):
            return f"{text}e0"
        return text

    def generate_array_sql(self, expression: exp.GenerateSeries) -> str:
        """GENERATE_ARRAY(start, end, step) of any numbers: DuckDB's GENERATE_SERIES takes integers only."""
        start, end, step = (expression.args.get(key) for key in ("start", "end", "step"))
        if isinstance(step, exp.Interval) or all(_is_integer_literal(arg) for arg in (start, end, step) if arg):
            return SqlmlGenerator.TRANSFORMS[exp.GenerateSeries](self, expression)
        step = step or exp.Literal.number(1)
        count = exp.cast(exp.func("FLOOR", exp.paren(exp.paren(end - start) / step)), exp.DType.BIGINT) + 1
        index = exp.to_identifier("i")
        element = exp.Lambda(this=start + exp.column(index) * step, expressions=[index])
        return self.func("list_transform", exp.func("range", exp.Literal.number(0), count), element)

    def mlfunction_sql(self, expression: MLFunction) -> str:
        """ML.<FN>(..., GENERATE_ARRAY(start, end, step)) keeps that form, as sqlml's parser reads it."""
        values = expression.args.get("values")
        if isinstance(values, exp.GenerateSeries):
            expression = expression.copy()
            arguments = [values.args[k] for k in ("start", "end", "step") if values.args.get(k)]
            expression.set("values", exp.Anonymous(this="GENERATE_ARRAY", expressions=arguments))
        return super().mlfunction_sql(expression)


class DuckDBWithBigQueryMeaning(SqlmlDialect):
    """sqlml's DuckDB dialect, written from GoogleSQL trees."""

    # DuckDB's own entries (%e -> %-d), which a subclass of DuckDB does not inherit (sqlglot's metaclass
    # rebuilds the mapping from TIME_MAPPING and the class's own dict)
    INVERSE_TIME_MAPPING = DuckDB.INVERSE_TIME_MAPPING
    Generator = DuckDBFromBigQuery


_READ = SqlmlBigQuery()
_WRITE = DuckDBWithBigQueryMeaning()


# statements a client repeats split and translate once (the texts are pure input); longer texts, rarely repeated,
# are not kept
_CACHED_LENGTH = 100_000


def _cached(function: t.Callable[[str], t.Any]) -> t.Callable[[str], t.Any]:
    """`function` of a text, its results for the last 256 texts up to _CACHED_LENGTH characters kept."""
    cached = functools.lru_cache(maxsize=256)(function)
    return functools.wraps(function)(lambda text: (cached if len(text) <= _CACHED_LENGTH else function)(text))


def split_bigquery(sql: str) -> list[str]:
    """Each GoogleSQL statement of `sql` (original text, stripped); SqlSyntaxError for an unterminated token."""
    return list(_split(sql))


@_cached
def _split(sql: str) -> tuple[str, ...]:
    pieces, start, has_tokens = [], 0, False
    for token in tokenize(sql, _READ):
        if token.token_type != TokenType.SEMICOLON:
            has_tokens = True
            continue
        if has_tokens:
            pieces.append(sql[start : token.start].strip())
        start, has_tokens = token.end + 1, False
    return tuple(pieces + ([sql[start:].strip()] if has_tokens else []))


def to_duckdb(statement: str, tables: Tables | None = None) -> str:
    """ONE GoogleSQL statement as sqlml's DuckDB dialect runs it; SqlSyntaxError (line/col in `statement`).
    `tables` lists the tables a wildcard table (`dataset.prefix*`) matches (`parser/wildcard_tables.py`)."""
    translated = _translated(statement)
    if isinstance(translated, str):
        return translated
    tree = translated.copy()
    expand(tree, tables)
    return _WRITE.generate(tree, copy=False)


@_cached
def _translated(statement: str) -> str | exp.Expr:
    """The DuckDB text of a statement reading no wildcard table (it depends on the text alone); the parsed tree
    (to copy, never change) of one that reads one, whose translation depends on the tables of the database."""
    tree = parse_statement(statement, _READ)
    if any(is_wildcard(table) for table in tree.find_all(exp.Table)):
        return tree
    return _WRITE.generate(tree, copy=False)
