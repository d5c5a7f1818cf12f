"""Training and scoring data: feature encoding, TRANSFORM, preprocessing functions."""
