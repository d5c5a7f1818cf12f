"""A seeded, census-like adult income table with the columns of BigQuery ML's census tutorial
(bigquery-public-data.ml_datasets.census_adult_income), generated here: nothing is downloaded.

The label income_bracket ('>50K' / '<=50K') is drawn from a logistic model with
- main effects: education_num, hours_per_week, capital_gain / capital_loss, sex, a few occupations;
- a curved age effect (earnings peak near 50), which a network can learn and a linear model cannot;
- pairwise interactions of categories, which a linear model cannot learn and a wide part's crosses learn one
  weight at a time: a seeded random effect per (education, occupation) and per (workclass, occupation) pair,
  and marital_status x relationship (being married pays only as a husband or wife).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

WORKCLASS = ["Private", "Self-emp-not-inc", "Self-emp-inc", "Federal-gov", "Local-gov", "State-gov", "Without-pay"]
EDUCATION = [
    "Preschool", "1st-4th", "5th-6th", "7th-8th", "9th", "10th", "11th", "12th", "HS-grad", "Some-college",
    "Assoc-voc", "Assoc-acdm", "Bachelors", "Masters", "Prof-school", "Doctorate",
]  # fmt: skip
MARITAL = [
    "Married-civ-spouse", "Never-married", "Divorced", "Separated", "Widowed", "Married-spouse-absent",
    "Married-AF-spouse",
]  # fmt: skip
OCCUPATION = [
    "Prof-specialty", "Craft-repair", "Exec-managerial", "Adm-clerical", "Sales", "Other-service",
    "Machine-op-inspct", "Transport-moving", "Handlers-cleaners", "Farming-fishing", "Tech-support",
    "Protective-serv", "Priv-house-serv", "Armed-Forces",
]  # fmt: skip
RELATIONSHIP = ["Husband", "Not-in-family", "Own-child", "Unmarried", "Wife", "Other-relative"]
RACE = ["White", "Black", "Asian-Pac-Islander", "Amer-Indian-Eskimo", "Other"]
COUNTRY = ["United-States", "Mexico", "Philippines", "Germany", "Canada", "India", "England", "China", "Cuba"]
COLUMNS = [
    "age", "workclass", "education", "education_num", "marital_status", "occupation", "relationship", "race",
    "sex", "capital_gain", "capital_loss", "hours_per_week", "native_country", "income_bracket",
]  # fmt: skip


def _pick(rng: np.random.Generator, names: list[str], n: int, weights: list[float]) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(names), size=n, p=p / p.sum())


def names(values: list[str], codes: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=object)[codes]


def adult_income(n: int, seed: int) -> pa.Table:
    """`n` rows; the same `seed` gives the same rows, and the same interaction effects whatever `n`."""
    effects = np.random.default_rng(12345)  # the interactions are the population's, not the sample's
    education_x_occupation = effects.normal(0.0, 1.2, (len(EDUCATION), len(OCCUPATION)))
    workclass_x_occupation = effects.normal(0.0, 0.8, (len(WORKCLASS), len(OCCUPATION)))
    rng = np.random.default_rng(seed)
    age = np.clip(np.round(rng.gamma(6.0, 6.5, n) + 12), 17, 90).astype(np.int64)
    education = _pick(rng, EDUCATION, n, [1, 2, 3, 5, 4, 6, 7, 3, 32, 22, 4, 3, 16, 5, 2, 1.5])
    workclass = _pick(rng, WORKCLASS, n, [70, 8, 3.5, 3, 6.5, 4, 0.5])
    occupation = _pick(rng, OCCUPATION, n, [13, 13, 13, 12, 11, 10, 6, 5, 4, 3, 3, 2, 0.5, 0.1])
    marital = _pick(rng, MARITAL, n, [46, 33, 14, 3, 3, 1.3, 0.1])
    sex = rng.random(n) < 0.67  # male
    married = marital == 0
    relationship = np.where(
        married,
        np.where(sex, 0, 4),
        _pick(rng, RELATIONSHIP, n, [0, 40, 25, 17, 0, 5]),
    )
    relationship = np.where(married & (rng.random(n) < 0.06), 5, relationship)  # married, another relative
    race = _pick(rng, RACE, n, [85, 10, 3, 1, 1])
    country = _pick(rng, COUNTRY, n, [90, 2, 1, 1, 1, 1, 1, 1, 1])
    hours = np.clip(np.round(rng.normal(40, 12, n)), 1, 99).astype(np.int64)
    gain = np.where(rng.random(n) < 0.08, np.round(rng.lognormal(8.5, 1.0, n)), 0).astype(np.int64)
    loss = np.where((gain == 0) & (rng.random(n) < 0.05), np.round(rng.normal(1900, 300, n)), 0).astype(np.int64)
    logit = (
        -3.2
        + 0.30 * (education - 8)
        + 0.03 * (hours - 40)
        - 3.0 * ((age - 50) / 20.0) ** 2
        + 0.6 * sex
        + 1.5 * np.log1p(gain) / 9.0
        + 0.5 * (loss > 0)
        + np.isin(relationship, [0, 4]) * 2.0  # married, as a husband or wife
        + education_x_occupation[education, occupation]
        + workclass_x_occupation[workclass, occupation]
    )
    income = rng.random(n) < 1.0 / (1.0 + np.exp(-logit))
    return pa.table(
        {
            "age": age,
            "workclass": names(WORKCLASS, workclass),
            "education": names(EDUCATION, education),
            "education_num": education.astype(np.int64) + 1,
            "marital_status": names(MARITAL, marital),
            "occupation": names(OCCUPATION, occupation),
            "relationship": names(RELATIONSHIP, relationship),
            "race": names(RACE, race),
            "sex": np.where(sex, "Male", "Female").astype(object),
            "capital_gain": gain,
            "capital_loss": loss,
            "hours_per_week": hours,
            "native_country": names(COUNTRY, country),
            "income_bracket": np.where(income, ">50K", "<=50K").astype(object),
        }
    )
