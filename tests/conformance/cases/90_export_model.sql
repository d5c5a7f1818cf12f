-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-export-model
-- adapted (every case): the gs:// URI -> a local directory (the page's form: a URI ending in '/')
-- given: CREATE OR REPLACE MODEL `mydataset.mymodel` OPTIONS (model_type = 'logistic_reg', input_label_cols = ['label']) AS SELECT label, column1, column2 FROM `mydataset.mytable`

-- case: export_model
-- columns: none
EXPORT MODEL `mydataset.mymodel`
OPTIONS(URI = '{tmp}/path/to/saved_model/');

-- case: export_trial
-- columns: none
-- adapted: model name -> the tuned `bqml_tutorial.hp_taxi_tip_model` of the hyperparameter tuning tutorial
EXPORT MODEL `bqml_tutorial.hp_taxi_tip_model`
OPTIONS(URI = '{tmp}/path/to/trial_model/', TRIAL_ID = 2);

-- case: export_boosted_tree
-- columns: none
-- adapted: model name -> the boosted tree tutorial's `bqml_tutorial.tree_model`
EXPORT MODEL `bqml_tutorial.tree_model`
OPTIONS(URI = '{tmp}/path/to/tree_model/');
