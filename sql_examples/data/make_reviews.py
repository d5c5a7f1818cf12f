"""Writes reviews.csv: 400 short synthetic product reviews labeled positive or negative.

The sentences are assembled from the word lists below (seeded, so the file is reproducible); about 5% of
the labels are flipped so that no model can be perfect. Run: python sql_examples/data/make_reviews.py
"""

import csv
import random
from pathlib import Path

PRODUCTS = ["kettle", "blender", "lamp", "backpack", "keyboard", "jacket", "tent", "speaker", "chair", "mug"]
GOOD = ["works great", "really love it", "excellent quality", "highly recommend", "sturdy and reliable",
        "fast delivery", "worth every penny", "beautiful design", "very comfortable", "exceeded expectations"]
BAD = ["broke after a week", "waste of money", "poor quality", "would not recommend", "stopped working",
       "arrived damaged", "very disappointing", "cheap and flimsy", "returned it", "customer service ignored me"]
FILLER = ["i bought this", "my partner uses it daily", "got it on sale", "second one i own", "as a gift",
          "after reading reviews", "for the office", "for camping"]

rng = random.Random(7)
rows = []
for review_id in range(1, 401):
    positive = rng.random() < 0.5
    phrases = rng.sample(GOOD if positive else BAD, k=rng.randint(1, 2))
    if rng.random() < 0.3:  # a mixed review leans the other way once
        phrases.append(rng.choice(BAD if positive else GOOD))
    words = [f"the {rng.choice(PRODUCTS)}", rng.choice(FILLER), *phrases]
    rng.shuffle(words)
    label = positive if rng.random() > 0.05 else not positive
    rows.append((review_id, " ".join(words), "positive" if label else "negative"))
with open(Path(__file__).with_name("reviews.csv"), "w", newline="") as out:
    writer = csv.writer(out)
    writer.writerow(["review_id", "review", "sentiment"])
    writer.writerows(rows)
