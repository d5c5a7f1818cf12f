-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-export-model
-- adapted (every case): the gs:// URI -> a local directory (a URI ending in '/'); model names -> local models

-- case: export_to_directory
-- columns: none
EXPORT MODEL `mydataset.mymodel_logistic`
OPTIONS(URI = '{tmp}/path/to/saved_model/');

-- case: export_trial
-- columns: none
EXPORT MODEL `mydataset.tuned_linear`
OPTIONS(URI = '{tmp}/path/to/trial_model/', TRIAL_ID = 2);

-- case: export_boosted_tree
-- columns: none
EXPORT MODEL `bqml_tutorial.tree_model`
OPTIONS(URI = '{tmp}/path/to/tree_model/');
