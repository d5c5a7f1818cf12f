-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-glm
-- adapted (every case): the page's `mydataset.mytable` is the local placeholder table (datasets.mytable); each
-- example's `mydataset.mymodel` gets its own name (the page names every example `mydataset.mymodel`)

-- case: linear_reg_ls_init_learn_rate
-- columns: none
-- adapted: model name `mydataset.mymodel` -> `mydataset.mymodel_line_search`
CREATE MODEL
  `mydataset.mymodel_line_search`
OPTIONS
  ( MODEL_TYPE='LINEAR_REG',
    LS_INIT_LEARN_RATE=0.15,
    L1_REG=1,
    MAX_ITERATIONS=5 ) AS
SELECT
  column1,
  column2,
  column3,
  label
FROM
  `mydataset.mytable`
WHERE
  column4 < 10;

-- case: linear_reg_seq_split
-- columns: none
-- adapted: model name mydataset.mymodel -> mydataset.mymodel_seq
CREATE MODEL
  `mydataset.mymodel_seq`
OPTIONS
  ( MODEL_TYPE='LINEAR_REG',
    LS_INIT_LEARN_RATE=0.15,
    L1_REG=1,
    MAX_ITERATIONS=5,
    DATA_SPLIT_METHOD='SEQ',
    DATA_SPLIT_EVAL_FRACTION=0.3,
    DATA_SPLIT_COL='timestamp' ) AS
SELECT
  column1,
  column2,
  column3,
  timestamp,
  label
FROM
  `mydataset.mytable`
WHERE
  column4 < 10;

-- case: linear_reg_custom_split
-- columns: none
-- adapted: model name mydataset.mymodel -> mydataset.mymodel_custom
CREATE MODEL
  `mydataset.mymodel_custom`
OPTIONS
  ( MODEL_TYPE='LINEAR_REG',
    DATA_SPLIT_METHOD='CUSTOM',
    DATA_SPLIT_COL='split_col' ) AS
SELECT
  *
FROM
  `mydataset.mytable`;

-- case: logistic_reg_auto_class_weights
-- columns: none
-- adapted: model name mydataset.mymodel -> mydataset.mymodel_logistic
CREATE MODEL
  `mydataset.mymodel_logistic`
OPTIONS
  ( MODEL_TYPE='LOGISTIC_REG',
    AUTO_CLASS_WEIGHTS=TRUE ) AS
SELECT
  *
FROM
  `mydataset.mytable`;

-- case: evaluate_custom_split
-- columns: mean_absolute_error, mean_squared_error, mean_squared_log_error, median_absolute_error, r2_score, explained_variance
SELECT
  *
FROM
  ML.EVALUATE(MODEL `mydataset.mymodel_custom`);
