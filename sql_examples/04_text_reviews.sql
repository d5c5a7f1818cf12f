-- A text classifier: sentiment of short product reviews from TF-IDF and bigram features.
-- Run from the repository root:   sqlml reviews.duckdb sql_examples/04_text_reviews.sql

CREATE OR REPLACE TABLE reviews AS FROM read_csv('sql_examples/data/reviews.csv');

-- 1. Tokens are string_split's words; ML.TF_IDF weighs them, ML.BAG_OF_WORDS counts the bigrams
--    ML.NGRAMS makes. The vocabularies come from the training split only.
CREATE OR REPLACE MODEL sentiment
TRANSFORM (ML.TF_IDF(string_split(lower(review), ' '), 500, 2) OVER () AS words,
           ML.BAG_OF_WORDS(ML.NGRAMS(string_split(lower(review), ' '), [2, 2]), 500, 3) OVER () AS bigrams,
           sentiment)
OPTIONS (model_type = 'logistic_reg', input_label_cols = ['sentiment'], l2_reg = 1.0,
         data_split_method = 'RANDOM', data_split_eval_fraction = 0.25)
AS SELECT review, sentiment FROM reviews;

SELECT precision, recall, accuracy, roc_auc FROM ML.EVALUATE(MODEL sentiment);

-- 2. New reviews: only the text is needed.
SELECT review, predicted_sentiment, round(predicted_sentiment_probs[2].prob, 3) AS p_positive
FROM ML.PREDICT(MODEL sentiment,
                (SELECT unnest(['the lamp works great and fast delivery',
                                'stopped working and customer service ignored me',
                                'the tent was a gift']) AS review));
