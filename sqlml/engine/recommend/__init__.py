"""Matrix factorization models (model_type='MATRIX_FACTORIZATION'): training by alternating least squares
(training.py, als.py), the stored model (state.py), and predictions, top-k recommendations and metrics
(scoring.py)."""
