"""SqlmlDialect: sqlglot's DuckDB dialect plus the BigQuery-ML-style model statements and ML.<FN>()."""

from __future__ import annotations

import re
import typing as t
from collections.abc import Collection, Sequence

from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.errors import ParseError
from sqlglot.generators.duckdb import DuckDBGenerator
from sqlglot.parsers.duckdb import DuckDBParser
from sqlglot.tokens import Token, TokenType

from sqlml.parser import bigquery_only
from sqlml.parser.nodes import AlterModel, CreateModel, DescribeModel, DropModel, ExportModel, MLFunction, ShowModels

# Leading words of the ML statements.
ML_STATEMENT_PREFIXES: tuple[tuple[str, ...], ...] = (
    ("CREATE", "MODEL"),
    ("CREATE", "OR", "REPLACE", "MODEL"),
    ("DROP", "MODEL"),
    ("SHOW", "MODELS"),
    ("DESCRIBE", "MODEL"),
    ("DESC", "MODEL"),
    ("EXPORT", "MODEL"),
    ("ALTER", "MODEL"),
)

# In plain DuckDB, `DESCRIBE model` describes a table named "model": a model name must follow.
_NAME_REQUIRED = {"DESCRIBE", "DESC"}
# The ML functions of data alone, whose first argument is a table, not a model: ML.DESCRIBE_DATA(TABLE t) and
# ML.VALIDATE_DATA_DRIFT(TABLE base, TABLE study)
DATA_FUNCTIONS = {"DESCRIBE_DATA", "VALIDATE_DATA_DRIFT"}

_TOKEN_REPR = re.compile(r",? but got <Token [^>]*>")
# sqlglot's word for a node missing an operand: "Required keyword: 'expression' missing for <class '...And'>"
_MISSING_OPERAND = re.compile(r"^Required keyword: '\w+' missing for <class '[\w.]+'>")
_FRIENDLIER_MESSAGES = {
    "Expecting (": "Expected '('",
    "Expecting )": "Expected ')'",
    "Invalid expression / Unexpected token": "Unexpected token",
}


def _is_word(token: Token | None, word: str | None = None) -> bool:
    """Whether the token is an unquoted word (a keyword or plain identifier), optionally `word`."""
    return (
        token is not None
        and token.token_type not in DuckDBParser.TEXT_MATCH_EXCLUDED_TOKENS
        and token.text.isidentifier()
        and (word is None or token.text.upper() == word)
    )


def _quoted_name_to_string(node: exp.Expr) -> exp.Expr:
    """BigQuery reads OPTIONS(k="v") as a string where DuckDB would see a column: follow BigQuery."""
    if isinstance(node, exp.Column) and not node.table and node.this.quoted:
        return exp.Literal.string(node.name)
    return node


def _has_type(token: Token | None, token_type: TokenType) -> bool:
    return token is not None and token.token_type == token_type


def _token_at(tokens: Sequence[Token], index: int) -> Token | None:
    return tokens[index] if 0 <= index < len(tokens) else None


def ml_statement_prefix(tokens: Sequence[Token], index: int = 0) -> tuple[str, ...] | None:
    """The ML statement prefix (e.g. ``("DROP", "MODEL")``) that starts at ``tokens[index]``."""
    for prefix in ML_STATEMENT_PREFIXES:
        if not all(_is_word(_token_at(tokens, index + i), w) for i, w in enumerate(prefix)):
            continue
        following = _token_at(tokens, index + len(prefix))
        if _has_type(following, TokenType.DOT):
            continue  # `model.x` is a qualified table name
        if following is None and prefix[0] in _NAME_REQUIRED:
            continue
        return prefix
    return None


def is_ml_call(tokens: Sequence[Token], index: int) -> bool:
    """Whether ``ML . <name> (`` starts at ``tokens[index]`` (and is not itself qualified)."""
    return (
        _is_word(_token_at(tokens, index), "ML")
        and not _has_type(_token_at(tokens, index - 1), TokenType.DOT)
        and _has_type(_token_at(tokens, index + 1), TokenType.DOT)
        and _is_word(_token_at(tokens, index + 2))
        and _has_type(_token_at(tokens, index + 3), TokenType.L_PAREN)
    )


class MLStatementsMixin:
    """The model statements and ML.<FN>() table functions, for a sqlglot parser class (DuckDB's or BigQuery's):
    ``class P(MLStatementsMixin, SomeParser)``."""

    # First word of an ML statement prefix -> parser of the rest, called as (parser, prefix).
    ML_STATEMENT_PARSERS: t.ClassVar[dict[str, t.Callable[..., exp.Expr]]] = {
        "CREATE": lambda self, prefix: self._parse_create_model(replace="REPLACE" in prefix),
        "DROP": lambda self, prefix: self.expression(
            DropModel(exists=self._parse_exists(), this=self._parse_model_name())
        ),
        "SHOW": lambda self, prefix: self.expression(ShowModels()),
        **dict.fromkeys(
            ("DESCRIBE", "DESC"),
            lambda self, prefix: self.expression(DescribeModel(this=self._parse_model_name())),
        ),
        "EXPORT": lambda self, prefix: self.expression(
            ExportModel(this=self._parse_model_name(), options=self._parse_ml_options())
        ),
        "ALTER": lambda self, prefix: self._parse_alter_model(),
    }

    def _parse_alter_model(self) -> AlterModel:
        exists = self._parse_exists()
        this = self._parse_model_name()
        if not self._match(TokenType.SET):
            self.raise_error("Expected SET OPTIONS (...) or SET ACTIVE VERSION <n> after ALTER MODEL <name>")
        if self._match_text_seq("ACTIVE", "VERSION"):
            if not (self._curr and self._curr.token_type == TokenType.NUMBER and self._curr.text.isdigit()):
                self.raise_error("Expected a version number after SET ACTIVE VERSION")
            version = int(self._curr.text)
            self._advance()
            return self.expression(AlterModel(this=this, exists=exists, version=version))
        options = self._parse_ml_options()
        if options is None:
            self.raise_error("Expected SET OPTIONS (...) or SET ACTIVE VERSION <n> after ALTER MODEL <name>")
        return self.expression(AlterModel(this=this, exists=exists, options=options))

    def raise_error(self, message: str, token: Token | None = None) -> None:
        """Word the error for humans and record the offset it points at (``errors[0]["start"]``)."""
        message = _TOKEN_REPR.sub("", _FRIENDLIER_MESSAGES.get(message, message))
        if _MISSING_OPERAND.match(message):  # speak SQL, not sqlglot's class names
            message = f"Expected an expression after '{self._prev.text}'" if self._prev else "Expected an expression"
        if token or self._curr:
            token = token or self._curr
            text = self.sql[token.start : token.end + 1]
            message = f"{message} near '{text if len(text) <= 30 else text[:27] + '...'}'"
            start = token.start
        else:
            token = self._prev or Token.string("")
            message = f"{message} at end of statement"
            start = token.end + 1
        try:
            super().raise_error(message, token)
        except ParseError as error:
            error.errors[0]["start"] = start
            raise

    def _warn_unsupported(self) -> None:
        """Statements sqlglot cannot model become Commands; DuckDB runs them, so stay quiet."""

    def _expect(self, token_type: TokenType, message: str) -> None:
        if not self._match(token_type):
            self.raise_error(message)

    def _parse_statement(self) -> exp.Expr | None:
        prefix = ml_statement_prefix(self._tokens, self._index)
        parse = prefix and self.ML_STATEMENT_PARSERS.get(prefix[0])
        if not parse:
            return super()._parse_statement()
        self._advance(len(prefix))
        return parse(self, prefix)

    def _parse_table(
        self,
        schema: bool = False,
        joins: bool = False,
        alias_tokens: Collection[TokenType] | None = None,
        **kwargs: t.Any,
    ) -> exp.Expr | None:
        is_table_position = not schema and not kwargs.get("is_db_reference")
        if is_table_position and is_ml_call(self._tokens, self._index):
            return self._parse_ml_function(joins, alias_tokens)
        return super()._parse_table(schema=schema, joins=joins, alias_tokens=alias_tokens, **kwargs)

    def _parse_object_name(self, what: str, max_parts: int) -> exp.Table:
        """``[catalog.][schema.]name`` with at most ``max_parts`` parts, each plain or quoted."""
        parts = []
        while True:
            part = self._parse_id_var(any_token=False)
            if not part:
                self.raise_error(f"Expected {what} name")
            parts.append(part)
            if len(parts) == max_parts or not self._match(TokenType.DOT):
                break
        return self.expression(exp.Table(**dict(zip(("this", "db", "catalog"), reversed(parts)))))

    def _parse_model_name(self) -> exp.Table:
        return self._parse_object_name("a model", max_parts=2)

    def _parse_ml_options(self) -> list[exp.Property] | None:
        if not self._match_text_seq("OPTIONS"):
            return None
        self._expect(TokenType.L_PAREN, "Expected '(' after OPTIONS")
        empty = self._curr.token_type == TokenType.R_PAREN
        options = [] if empty else self._parse_csv(self._parse_ml_option)
        self._expect(TokenType.R_PAREN, "Expected ')' after OPTIONS list")
        return options or None

    def _parse_ml_option(self) -> exp.Property | None:
        if self._prev.token_type == TokenType.COMMA and self._curr.token_type == TokenType.R_PAREN:
            return None  # a trailing comma, as BigQuery ML's own examples write `OPTIONS (a = 1, )`
        key = self._parse_id_var(any_token=False)
        if not key:
            self.raise_error("Expected an option name")
        self._expect(TokenType.EQ, f"Expected '=' after option {key.name}")
        value = self._parse_bitwise()
        if value is None:
            self.raise_error(f"Expected a value for option {key.name}")
        value = value.transform(_quoted_name_to_string, copy=False)
        return self.expression(exp.Property(this=key, value=value))

    def _parse_create_model(self, replace: bool) -> CreateModel:
        if_token = self._curr
        exists = self._parse_exists(not_=True)
        if replace and exists:
            self.raise_error("OR REPLACE cannot be combined with IF NOT EXISTS", if_token)
        this = self._parse_model_name()
        if self._curr and self._curr.text.upper() in ("INPUT", "REMOTE"):
            bigquery_only.refuse_remote_model()

        transform = transform_sql = None
        if self._match_text_seq("TRANSFORM"):
            self._expect(TokenType.L_PAREN, "Expected '(' after TRANSFORM")
            start = self._curr
            transform = self._parse_csv(self._parse_expression)
            if not transform:
                self.raise_error("Expected TRANSFORM expressions")
            transform_sql = self._find_sql(start, self._prev)
            self._expect(TokenType.R_PAREN, "Expected ')' after TRANSFORM list")

        options = self._parse_ml_options()
        query = start = None
        if self._curr:  # without AS (nothing follows): an imported model (model_type='onnx')
            self._expect(TokenType.ALIAS, "Expected AS <query>")
            if self._curr.token_type == TokenType.L_PAREN and self._next and self._next.text.upper() == "TRAINING_DATA":
                bigquery_only.refuse_training_data_form()
            start = self._curr
            query = self._parse_ddl_select()
            if not query:
                self.raise_error("Expected a query after AS")

        node = self.expression(
            CreateModel(
                this=this,
                replace=replace,
                exists=exists,
                transform=transform,
                options=options,
                query=query,
            )
        )
        node.meta.update(
            query_sql=query and self._find_sql(start, self._prev),
            query_start=start and start.start,
            transform_sql=transform_sql,
        )
        return node

    def _parse_ml_function(self, joins: bool, alias_tokens: Collection[TokenType] | None) -> MLFunction:
        start = self._curr
        function = self._tokens[self._index + 2].text.upper()
        self._advance(4)  # ML . <name> (
        model = version = input_ = input_sql = values = second = second_sql = params = None
        input_start = second_start = None
        if function in DATA_FUNCTIONS:  # ML.<FN>(TABLE t | (query) [, TABLE u | (query)] ...): no model
            if self._curr.text.upper() == "MODEL":
                self.raise_error(f"ML.{function} takes data, not a model: TABLE <name> or (<query>)")
            if self._curr.token_type not in (TokenType.TABLE, TokenType.L_PAREN):
                self.raise_error(f"ML.{function} needs its data first: TABLE <name> or (<query>)")
            input_, input_sql, input_start = self._parse_ml_input()
            if self._curr.token_type == TokenType.COMMA and self._next.token_type in (
                TokenType.TABLE,
                TokenType.L_PAREN,
            ):
                self._advance()
                second, second_sql, second_start = self._parse_ml_input()
        else:
            if not self._match_text_seq("MODEL"):
                bigquery_only.refuse_function(function)  # BigQuery ML's ML.TFDV_DESCRIBE(TABLE t), ...
                self.raise_error(f"Expected MODEL <name> as the first argument of ML.{function}")
            model = self._parse_model_name()
            if self._match_text_seq("VERSION"):
                if not (self._curr.token_type == TokenType.NUMBER and self._curr.text.isdigit()):
                    self.raise_error("Expected a version number after VERSION")
                version = int(self._curr.text)
                self._advance()
            if self._curr.token_type == TokenType.COMMA and self._next.token_type == TokenType.STRUCT:
                start_params = self._index  # BigQuery ML's ML.DETECT_ANOMALIES puts STRUCT(...) before the input
                self._advance()
                params = self._parse_ml_params()
                if not (
                    self._curr.token_type == TokenType.COMMA
                    and self._next.token_type in (TokenType.TABLE, TokenType.L_PAREN)
                ):
                    self._retreat(start_params)
                    params = None
            if self._curr.token_type == TokenType.COMMA and self._next.token_type in (
                TokenType.TABLE,
                TokenType.L_PAREN,
            ):
                self._advance()
                input_, input_sql, input_start = self._parse_ml_input()
        if self._curr.token_type == TokenType.COMMA and self._next.token_type != TokenType.STRUCT:
            self._advance()  # a list of values: GENERATE_ARRAY(start, end, step) or [v, ...] (ML.ROC_CURVE)
            values_token = self._curr
            values = self._parse_bitwise()
            if not isinstance(values, (exp.Array, exp.GenerateSeries)) and not (
                isinstance(values, exp.Anonymous) and values.name.upper() == "GENERATE_ARRAY"
            ):
                self.raise_error(
                    "Expected TABLE <name>, (<query>), STRUCT(...) or a list of values "
                    "(GENERATE_ARRAY(start, end, step) or [v, ...])",
                    values_token,
                )

        if params is None and self._match(TokenType.COMMA):
            params = self._parse_ml_params()
        self._expect(TokenType.R_PAREN, f"Expected ')' to close ML.{function}(")

        node = self.expression(
            MLFunction(
                this=function,
                model=model,
                version=version,
                input=input_,
                second_input=second,
                values=values,
                params=params,
            )
        )
        node.meta.update(
            span=(start.start, self._prev.end + 1),
            input_sql=input_sql,
            second_input_sql=second_sql,
            input_start=input_start,
            second_input_start=second_start,
        )
        node.set("alias", self._parse_table_alias(alias_tokens or self.TABLE_ALIAS_TOKENS))
        if joins:
            node.set("joins", list(self._parse_joins(alias_tokens=alias_tokens)) or None)
        return node

    def _parse_ml_input(self) -> tuple[exp.Expr, str, int]:
        """``TABLE [catalog.][schema.]t`` or ``(query)``, with its exact original text and where it starts."""
        if self._match(TokenType.TABLE):
            start = self._curr
            table = self._parse_object_name("a table", max_parts=3)
            return table, self._find_sql(start, self._prev), start.start
        if not self._match(TokenType.L_PAREN):
            self.raise_error("Expected TABLE <name>, (<query>) or STRUCT(...)")
        start = self._curr
        query = self._parse_ddl_select()
        if not query:
            self.raise_error("Expected a query")
        text = self._find_sql(start, self._prev)
        self._expect(TokenType.R_PAREN, "Expected ')' after the input query")
        return query, text, start.start

    def _parse_ml_params(self) -> exp.Struct:
        start = self._curr
        params = self._parse_bitwise()
        if not isinstance(params, exp.Struct) or not all(
            isinstance(field, exp.PropertyEQ) for field in params.expressions
        ):
            self.raise_error("Expected STRUCT(value AS name, ...)", start)
        return params


class SqlmlParser(MLStatementsMixin, DuckDBParser):
    """DuckDB parser that also understands the model statements and ML.<FN>() table functions."""


class SqlmlGenerator(DuckDBGenerator):
    """DuckDB generator that writes the sqlml nodes back in their canonical form."""

    TRANSFORMS = {
        **DuckDBGenerator.TRANSFORMS,
        CreateModel: lambda self, e: self.createmodel_sql(e),
        DropModel: lambda self, e: self.dropmodel_sql(e),
        ShowModels: lambda self, e: "SHOW MODELS",
        DescribeModel: lambda self, e: f"DESCRIBE MODEL {self.sql(e, 'this')}",
        ExportModel: lambda self, e: f"EXPORT MODEL {self.sql(e, 'this')}{self._ml_options_sql(e)}",
        AlterModel: lambda self, e: (
            f"ALTER MODEL{' IF EXISTS' if e.args.get('exists') else ''} {self.sql(e, 'this')} SET"
            + (f" ACTIVE VERSION {e.args['version']}" if e.args.get("version") is not None else self._ml_options_sql(e))
        ),
        MLFunction: lambda self, e: self.mlfunction_sql(e),
    }

    def _ml_value_sql(self, value: exp.Expr) -> str:
        """Values as BigQuery ML writes them: STRUCT(v AS k, ...) rather than DuckDB's {'k': v}."""
        fields = value.expressions if isinstance(value, exp.Struct) else None
        if fields and all(isinstance(field, exp.PropertyEQ) for field in fields):
            pairs = (f"{self._ml_value_sql(f.expression)} AS {self.sql(f, 'this')}" for f in fields)
            return f"STRUCT({', '.join(pairs)})"
        return self.sql(value)

    def _ml_options_sql(self, expression: exp.Expr) -> str:
        options = ", ".join(
            f"{self.sql(option, 'this')}={self._ml_value_sql(option.args['value'])}"
            for option in expression.args.get("options") or []
        )
        return f" OPTIONS({options})" if options else ""

    def createmodel_sql(self, expression: CreateModel) -> str:
        replace = " OR REPLACE" if expression.args.get("replace") else ""
        exists = " IF NOT EXISTS" if expression.args.get("exists") else ""
        transform = self.expressions(expression, key="transform", flat=True)
        transform = f" TRANSFORM({transform})" if transform else ""
        return (
            f"CREATE{replace} MODEL{exists} {self.sql(expression, 'this')}{transform}"
            f"{self._ml_options_sql(expression)}"
            + (f" AS {self.sql(expression, 'query')}" if expression.args.get("query") else "")
        )

    def dropmodel_sql(self, expression: DropModel) -> str:
        exists = " IF EXISTS" if expression.args.get("exists") else ""
        return f"DROP MODEL{exists} {self.sql(expression, 'this')}"

    def mlfunction_sql(self, expression: MLFunction) -> str:
        args = []
        if expression.args.get("model"):
            args.append(f"MODEL {self.sql(expression, 'model')}")
            if expression.args.get("version") is not None:
                args[0] += f" VERSION {expression.args['version']}"
        for key in ("input", "second_input"):
            input_ = expression.args.get(key)
            if isinstance(input_, exp.Table):
                args.append(f"TABLE {self.sql(input_)}")
            elif input_:
                args.append(f"({self.sql(input_)})")
        if expression.args.get("values"):
            args.append(self.sql(expression, "values"))
        if expression.args.get("params"):
            args.append(self._ml_value_sql(expression.args["params"]))
        alias = self.sql(expression, "alias")
        alias = f" AS {alias}" if alias else ""
        joins = self.expressions(expression, key="joins", sep="", flat=True)
        return f"ML.{expression.name}({', '.join(args)}){alias}{self.indent(joins, skip_first=True)}"


class SqlmlDialect(DuckDB):
    """DuckDB + backtick-quoted identifiers + the sqlml model statements and ML table functions."""

    class Tokenizer(DuckDB.Tokenizer):
        IDENTIFIERS = ['"', "`"]
        # `?::INT` is a parameter cast in DuckDB, not the `?::` operator of sqlglot's base tokenizer
        KEYWORDS = {text: kind for text, kind in DuckDB.Tokenizer.KEYWORDS.items() if text != "?::"}

    Parser = SqlmlParser
    Generator = SqlmlGenerator
