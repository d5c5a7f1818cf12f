-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-bucketize

-- case: bucketize_with_and_without_boundaries
-- columns: bucket, bucket_without_boundaries
-- equals: bucket = bin_3
-- equals: bucket_without_boundaries = bin_2
SELECT ML.BUCKETIZE(2.5, [1, 2, 3]) AS bucket,
  ML.BUCKETIZE(2.5, [1, 2, 3], TRUE) AS bucket_without_boundaries;
