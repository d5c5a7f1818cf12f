"""Local stand-ins for the public tables BigQuery ML's tutorials and reference pages read.

`build(path)` writes one DuckDB file whose schemas are named like the pages' datasets, so a statement keeps its
`dataset.table` names and only drops the `bigquery-public-data` project:

| table | stand-in |
|---|---|
| `ml_datasets.penguins` | the Palmer penguins shipped in sql_examples/data/penguins.csv, renamed as BigQuery's copy is (`culmen_*`, species `Adelie Penguin (Pygoscelis adeliae)`, sex `MALE`/`FEMALE`) |
| `ml_datasets.iris` | scikit-learn's bundled iris (`load_iris`, no download) |
| `ml_datasets.census_adult_income` | 2,000 generated rows with the columns and category spellings of BigQuery's copy (values start with a space, as there) |
| `google_analytics_sample.ga_sessions_YYYYMMDD` | 3,000 generated sessions in one table per day, 2016-08-01 .. 2017-08-01, as BigQuery shards them (the tutorials read them through the wildcard table `ga_sessions_*` and `_TABLE_SUFFIX`), with the nested `totals`, `device`, `geoNetwork`, `trafficSource` STRUCTs and the `hits` ARRAY of STRUCTs |
| `ml_datasets.ulb_fraud_detection` | 1,000 generated card transactions with the columns of BigQuery's copy of the ULB credit card fraud data (`Time`, `V1` .. `V28`, `Amount`, `Class`), 2% of them frauds (see `ulb_fraud_detection`) |
| `mydataset.mytable` | the reference pages' placeholder table, with the columns their examples read (see `mytable`) |
| `mydataset.serving` | serving rows for the skew example: mytable's last 50 rows with `column1` shifted by 3 |
| `new_york_taxi_trips.tlc_yellow_trips_2018` | 1,500 generated taxi trips with the real table's columns (the hyperparameter tuning tutorial) |
| `new_york.citibike_trips` | Citi Bike trips 2014-07-01 .. 2016-09-30 from 5 stations (3 named `... Central Park ...`, station 79 among the others): daily counts with weekly and yearly seasons, one row per trip (the forecasting tutorials) |
| `epa_historical_air_quality.{pm25_nonfrm,wind,temperature}_daily_summary` | daily readings 2020-01-01 .. 2023-02-28 of two Seattle sites and one Portland site, plus rows of another parameter: PM2.5 that rises with calm, cold days, yearly temperature (the ARIMA_PLUS_XREG and anomaly detection tutorials) |
| `iowa_liquor_sales.sales`, `covid19_weathersource_com.postal_code_day_history` | 2022-06-01 .. 2022-09-30: bottles sold by 3 stores (one with a zip code that is no number) of 2 items, closed on Sundays, more on hot days, some days in two invoices; the daily temperature and humidity of the stores' zip codes (a few days missing), and rows of another country (the ARIMA_PLUS_XREG multiple series tutorial) |
| `wikipedia.pageviews_2017` .. `pageviews_2022` | two hourly rows a day of the `Google_I/O` page's views and another page's: a weekly season, a rise around each Google I/O (May), a dip at Christmas and New Year (the custom holidays tutorial reads them through `pageviews_*`) |
| `mydataset.mytimeseries` | the time series reference pages' `mydataset.mytable` (their examples read `date`, `transaction`, `feature1`, `feature2`, `company_name`, `department_name`, `timeseries_date`, `timeseries_metric`, none of which the classification placeholder has): 200 days of a weekly-seasonal series |
| `mydataset.my_time_series_data_table` | ML.DETECT_ANOMALIES' example table: daily `temperature` of two cities by `state`, `city`, with `weather` |
| `bqml_tutorial.ratings`, `bqml_tutorial.movies` | what the explicit matrix factorization tutorial loads from MovieLens 1M (`bq load`): 2,000 ratings 1..5 of 50 movies by 100 users, drawn from a planted rank-3 model, and the movies' titles and genres |
| `movielens.movielens_1m` | the ML.GENERATE_EMBEDDING page's ratings: `bqml_tutorial.ratings` again (user_id, item_id, rating, timestamp) |
| `GA360_test.ga_sessions_sample` | the implicit matrix factorization tutorial's Google Analytics 360 sample: 150 visitors' page hits (`hits.time` in milliseconds, `hits.type`, the content id in `hits.customDimensions` at index 10) over 30 contents, each visitor favouring a few |
| `bqml_tutorial`, `census`, `mydataset` | the schemas the tutorials create (`bq mk`) for their models and views |

Everything is generated from fixed seeds: the same file every run.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
PENGUINS_CSV = ROOT / "sql_examples" / "data" / "penguins.csv"
SCHEMAS = (
    "bqml_tutorial",
    "census",
    "ml_datasets",
    "google_analytics_sample",
    "new_york_taxi_trips",
    "mydataset",
    "new_york",
    "epa_historical_air_quality",
    "iowa_liquor_sales",
    "covid19_weathersource_com",
    "wikipedia",
    "GA360_test",
    "movielens",
)
SPECIES = {
    "Adelie": "Adelie Penguin (Pygoscelis adeliae)",
    "Chinstrap": "Chinstrap penguin (Pygoscelis antarctica)",
    "Gentoo": "Gentoo penguin (Pygoscelis papua)",
}


def build(path: Path) -> Path:
    """Write every stand-in table into the DuckDB file `path`; returns `path`."""
    con = duckdb.connect(str(path))
    try:
        for schema in SCHEMAS:
            con.execute(f"CREATE SCHEMA {schema}")
        _penguins(con)
        for name, frame in {
            "ml_datasets.iris": iris(),
            "ml_datasets.census_adult_income": census_adult_income(),
            "ml_datasets.ulb_fraud_detection": ulb_fraud_detection(),
            "mydataset.mytable": mytable(),
            "new_york_taxi_trips.tlc_yellow_trips_2018": tlc_yellow_trips_2018(),
            "new_york.citibike_trips": citibike_trips(),
            **epa_daily_summaries(),
            "mydataset.mytimeseries": mytimeseries(),
            "mydataset.my_time_series_data_table": city_temperatures(),
            **liquor_sales_and_weather(),
            **wikipedia_pageviews(),
            **movielens(),
        }.items():
            con.register("frame", frame)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM frame")
            con.unregister("frame")
        con.execute(
            "CREATE TABLE mydataset.serving AS SELECT * REPLACE (column1 + 3 AS column1) FROM mydataset.mytable"
            " ORDER BY rowid DESC LIMIT 50"
        )
        _ga_sessions(con)
        _ga360_content_sessions(con)
    finally:
        con.close()
    return path


def _penguins(con: duckdb.DuckDBPyConnection) -> None:
    cases = " ".join(f"WHEN '{short}' THEN '{full}'" for short, full in SPECIES.items())
    con.execute(
        f"""CREATE TABLE ml_datasets.penguins AS
        SELECT CASE species {cases} END AS species, island,
               bill_length_mm::DOUBLE AS culmen_length_mm, bill_depth_mm::DOUBLE AS culmen_depth_mm,
               flipper_length_mm::DOUBLE AS flipper_length_mm, body_mass_g::DOUBLE AS body_mass_g,
               upper(sex) AS sex
        FROM read_csv('{PENGUINS_CSV}', nullstr = 'NA')"""
    )


def iris() -> pd.DataFrame:
    """scikit-learn's iris under BigQuery's column names."""
    from sklearn.datasets import load_iris

    data = load_iris()
    frame = pd.DataFrame(data.data, columns=["sepal_length", "sepal_width", "petal_length", "petal_width"])
    frame["species"] = np.asarray(data.target_names)[data.target]
    return frame


def census_adult_income(n: int = 2000, seed: int = 15) -> pd.DataFrame:
    """Census rows whose income bracket depends on age, education, hours, marital status and capital gain."""
    rng = np.random.default_rng(seed)
    age = rng.integers(17, 80, n)
    education_num = rng.integers(1, 17, n)
    hours = np.clip(rng.normal(40, 12, n).round(), 1, 99).astype(np.int64)
    married = rng.random(n) < 0.47
    gain = np.where(rng.random(n) < 0.08, rng.integers(1000, 20000, n), 0)
    score = (
        -9.0 + 0.04 * age + 0.35 * education_num + 0.03 * hours + 1.8 * married + 0.0002 * gain + rng.normal(0, 1, n)
    )
    education = np.array([" Preschool", " 1st-4th", " 5th-6th", " 7th-8th", " 9th", " 10th", " 11th", " 12th",
                          " HS-grad", " Some-college", " Assoc-voc", " Assoc-acdm", " Bachelors", " Masters",
                          " Prof-school", " Doctorate"])  # fmt: skip
    return pd.DataFrame(
        {
            "age": age,
            "workclass": rng.choice([" Private", " Self-emp-not-inc", " Local-gov", " State-gov", " ?"], n),
            "functional_weight": rng.integers(12000, 1500000, n),
            "education": education[education_num - 1],
            "education_num": education_num,
            "marital_status": np.where(
                married, " Married-civ-spouse", rng.choice([" Never-married", " Divorced", " Widowed"], n)
            ),
            "occupation": rng.choice([" Prof-specialty", " Craft-repair", " Exec-managerial", " Sales", " ?"], n),
            "relationship": np.where(married, " Husband", rng.choice([" Not-in-family", " Own-child"], n)),
            "race": rng.choice([" White", " Black", " Asian-Pac-Islander"], n, p=[0.85, 0.1, 0.05]),
            "sex": rng.choice([" Male", " Female"], n),
            "capital_gain": gain,
            "capital_loss": np.where(rng.random(n) < 0.05, rng.integers(100, 3000, n), 0),
            "hours_per_week": hours,
            "native_country": rng.choice([" United-States", " Mexico", " India"], n, p=[0.9, 0.06, 0.04]),
            "income_bracket": np.where(score > 0, " >50K", " <=50K"),
        }
    )


def mytable(n: int = 200, seed: int = 7) -> pd.DataFrame:
    """The reference pages' placeholder table, with every column their examples read: the 0/1 labels `label` and
    `custom_label`, numeric `column1`..`column5`, `input_column1`, `input_column2`, `features`, `f1`, `f3`,
    categorical `input_col` and `f2`, the STRING label `mylabel`, the BOOL `split_col` (CUSTOM split), the
    `timestamp` (SEQ split) and the BOOL `init_col` (TRUE on 3 rows: k-means' CUSTOM initialization)."""
    rng = np.random.default_rng(seed)
    columns = {f"column{i}": rng.normal(i, 1 + i / 2, n) for i in range(1, 6)}
    input_col = rng.choice(["red", "green", "blue"], n)
    score = (
        3 * (columns["column1"] - 1) - (columns["column2"] - 2) + 0.5 * (columns["column3"] - 3)
        + (input_col == "red") + rng.normal(0, 0.5, n)
    )  # fmt: skip
    label = (score > np.median(score)).astype(np.int64)
    return pd.DataFrame(
        {
            "label": label,
            "custom_label": np.where(rng.random(n) < 0.9, label, 1 - label),
            **columns,
            "input_column1": columns["column1"] + rng.normal(0, 0.3, n),
            "input_column2": columns["column2"] + rng.normal(0, 0.3, n),
            "input_col": input_col,
            "mylabel": np.where(label == 1, "yes", "no"),
            "features": score + rng.normal(0, 1, n),
            "f1": rng.normal(100, 20, n),
            "f2": rng.choice(["a", "b"], n),
            "f3": rng.uniform(0, 1, n),
            "split_col": rng.random(n) < 0.2,
            "timestamp": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n), unit="h"),
            "init_col": np.arange(n) % 67 == 0,
        }
    )


def ulb_fraud_detection(n: int = 1000, seed: int = 2013) -> pd.DataFrame:
    """The ULB card fraud table's columns: `Time` (seconds from the first transaction), `V1` .. `V28` (there the
    principal components of hidden features: here mixtures of 4 hidden factors plus noise), `Amount` and `Class`
    (1: fraud, 2% of the rows, whose V columns ignore the factors)."""
    rng = np.random.default_rng(seed)
    factors = rng.normal(size=(n, 4))
    values = factors @ rng.normal(size=(4, 28)) + rng.normal(0, 0.3, (n, 28))
    fraud = rng.random(n) < 0.02
    values[fraud] = rng.normal(0, values.std(axis=0), (fraud.sum(), 28))
    frame = pd.DataFrame({"Time": np.sort(rng.uniform(0, 172_800, n)).round()})
    frame = frame.assign(**{f"V{i + 1}": values[:, i] for i in range(28)})
    return frame.assign(Amount=np.exp(rng.normal(3.5, 1.2, n)).round(2), Class=fraud.astype(np.int64))


def tlc_yellow_trips_2018(n: int = 1500, seed: int = 2018) -> pd.DataFrame:
    """Taxi trips with the columns of BigQuery's `new_york_taxi_trips.tlc_yellow_trips_2018`; tips follow the fare
    for card payments and are 0 for cash, as in the real table."""
    rng = np.random.default_rng(seed)
    pickup = pd.Timestamp("2018-01-01") + pd.to_timedelta(rng.integers(0, 365 * 24 * 60, n), unit="min")
    distance = np.round(rng.gamma(2.0, 1.5, n), 2)
    fare = np.round(2.5 + 2.5 * distance + rng.normal(0, 1, n).clip(-1, 3), 2)
    payment = rng.choice(["1", "2"], n, p=[0.7, 0.3])
    tip = np.where(payment == "1", np.round(fare * rng.uniform(0.1, 0.25, n), 2), 0.0)
    extra, tax, surcharge = rng.choice([0.0, 0.5, 1.0], n), np.full(n, 0.5), np.full(n, 0.3)
    return pd.DataFrame(
        {
            "vendor_id": rng.choice(["1", "2"], n),
            "pickup_datetime": pickup,
            "dropoff_datetime": pickup + pd.to_timedelta((distance * 4 + 2).round(), unit="min"),
            "passenger_count": rng.integers(1, 6, n),
            "trip_distance": distance,
            "rate_code": rng.choice(["1", "2"], n, p=[0.95, 0.05]),
            "store_and_fwd_flag": rng.choice(["N", "Y"], n, p=[0.99, 0.01]),
            "payment_type": payment,
            "fare_amount": fare,
            "extra": extra,
            "mta_tax": tax,
            "tip_amount": tip,
            "tolls_amount": np.where(rng.random(n) < 0.05, 5.76, 0.0),
            "imp_surcharge": surcharge,
            "total_amount": np.round(fare + extra + tax + tip + surcharge, 2),
            "pickup_location_id": rng.integers(1, 266, n).astype(str),
            "dropoff_location_id": rng.integers(1, 266, n).astype(str),
        }
    )


def citibike_trips(seed: int = 2014) -> pd.DataFrame:
    """Trips of `new_york.citibike_trips` (`starttime` DATETIME, `start_station_id` INT64, `start_station_name`
    STRING, ...), one row each: a station's trips per day are Poisson around its level times a weekly season
    (Central Park busier on weekends, the others on weekdays) and a yearly one (summer)."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2014-07-01", "2016-09-30")
    summer = 1 + 0.5 * np.cos(2 * np.pi * (days.dayofyear.to_numpy() - 200) / 365.25)
    weekend = days.dayofweek.to_numpy() >= 5
    stations = {
        2006: ("Central Park S & 6 Ave", 9.0),
        281: ("Grand Army Plaza & Central Park S", 7.0),
        3164: ("Central Park West & W 72 St", 5.0),
        72: ("W 52 St & 11 Ave", 6.0),
        79: ("Franklin St & W Broadway", 4.0),
    }
    trips = []
    for station, (name, level) in stations.items():
        week = np.where(weekend, 1.5, 0.9) if "Central Park" in name else np.where(weekend, 0.6, 1.15)
        counts = rng.poisson(level * week * summer)
        start = np.repeat(days.to_numpy(), counts) + pd.to_timedelta(rng.integers(0, 86400, counts.sum()), unit="s")
        start = start.astype("datetime64[us]")
        trips.append(pd.DataFrame({"starttime": start, "start_station_id": station, "start_station_name": name}))
    frame = pd.concat(trips, ignore_index=True).sort_values("starttime", ignore_index=True)
    duration = rng.integers(240, 2400, len(frame))
    end = rng.choice(list(stations), len(frame))
    return frame.assign(
        tripduration=duration,
        stoptime=frame["starttime"] + pd.to_timedelta(duration, unit="s"),
        end_station_id=end,
        end_station_name=[stations[e][0] for e in end],
        usertype=rng.choice(["Subscriber", "Customer"], len(frame), p=[0.85, 0.15]),
    )


def epa_daily_summaries(seed: int = 2020) -> dict[str, pd.DataFrame]:
    """`epa_historical_air_quality`'s daily summaries of PM2.5, wind and temperature (`date_local` DATE,
    `city_name`, `parameter_name`, `arithmetic_mean`, `first_max_value`): two Seattle sites and a Portland one,
    plus rows of a parameter the tutorials filter out. Temperature has a yearly season; PM2.5 is higher on
    calm, cold days."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2020-01-01", "2023-02-28")
    n = len(days)
    winter = np.cos(2 * np.pi * (days.dayofyear.to_numpy() - 15) / 365.25)
    tables = {"pm25_nonfrm": [], "wind": [], "temperature": []}
    for city, warmer in (("Seattle", 0.0), ("Portland", 3.0)):
        temperature = 61.5 + warmer - 16.5 * winter + rng.normal(0, 4, n)
        wind = rng.gamma(2.0, 1.5, n)
        pm25 = np.clip(9 - 1.2 * wind + 0.15 * (61.5 - temperature) + rng.normal(0, 2, n), 1, None)
        readings = {
            "pm25_nonfrm": [("Acceptable PM2.5 AQI & Speciation Mass", pm25), ("PM2.5 Raw Data", pm25 * 1.4)],
            "wind": [("Wind Speed - Resultant", wind), ("Wind Direction - Resultant", rng.uniform(0, 360, n))],
            "temperature": [("Outdoor Temperature", temperature), ("Indoor Temperature", np.full(n, 68.0))],
        }
        for site in (1, 2) if city == "Seattle" else (1,):
            for table, parameters in readings.items():
                for parameter, value in parameters:
                    reading = value + rng.normal(0, 0.3, n)
                    tables[table].append(
                        pd.DataFrame(
                            {
                                "state_name": "Washington" if city == "Seattle" else "Oregon",
                                "city_name": city,
                                "site_num": f"{site:04d}",
                                "date_local": days.date,
                                "parameter_name": parameter,
                                "arithmetic_mean": reading - 4 * (table == "temperature"),
                                "first_max_value": reading,
                            }
                        )
                    )
    return {
        f"epa_historical_air_quality.{table}_daily_summary": pd.concat(frames, ignore_index=True)
        for table, frames in tables.items()
    }


def liquor_sales_and_weather(seed: int = 2022) -> dict[str, pd.DataFrame]:
    """`iowa_liquor_sales.sales` (`date` DATE, `store_number`, `item_number`, `item_description`, `zip_code`
    STRINGs, `bottles_sold` INT64) and `covid19_weathersource_com.postal_code_day_history` (`date`,
    `postal_code`, `country`, `avg_temperature_air_2m_f`, `avg_humidity_specific_2m_gpkg`)."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2022-06-01", "2022-09-30")
    n = len(days)
    zips = {"50314": 0.0, "50320": 2.0}
    weather = {z: 78 + warmer - 8 * np.cos(2 * np.pi * (days.dayofyear.to_numpy() - 200) / 365.25)
               + rng.normal(0, 4, n) for z, warmer in zips.items()}  # fmt: skip
    stores = {"2633": "50314", "4829": "50320", "5102": "IA 5"}
    items = {"11788": "BLACK VELVET", "43337": "CAPTAIN MORGAN SPICED RUM"}
    sales = []
    for store, zip_code in stores.items():
        temperature = weather.get(zip_code, weather["50314"])
        for item, (number, description) in enumerate(items.items()):
            open_days = days.dayofweek.to_numpy() != 6
            bottles = rng.poisson((12 + 6 * item) * (1 + 0.04 * (temperature - 78)) * (1 + 0.5 * (days.dayofweek == 5)))
            day = days[open_days]
            split = rng.random(open_days.sum()) < 0.2  # some days' sales in two invoices
            first = np.where(split, bottles[open_days] // 2, bottles[open_days])
            rows = pd.DataFrame({"date": day.date, "bottles_sold": first})
            second = pd.DataFrame({"date": day[split].date, "bottles_sold": bottles[open_days][split] - first[split]})
            sales.append(
                pd.concat([rows, second], ignore_index=True).assign(
                    store_number=store, item_number=number, item_description=description, zip_code=zip_code
                )
            )
    history = [
        pd.DataFrame(
            {
                "date": days.date,
                "postal_code": zip_code,
                "country": "US",
                "avg_temperature_air_2m_f": temperature,
                "avg_humidity_specific_2m_gpkg": 0.012 + 0.0002 * (temperature - 78) + rng.normal(0, 0.001, n),
            }
        ).drop(index=[10, 11, 40] if zip_code == "50320" else [])  # days the weather source missed
        for zip_code, temperature in weather.items()
    ]
    history.append(history[0].assign(country="DE", avg_temperature_air_2m_f=60.0))  # another country's 50314
    return {
        "iowa_liquor_sales.sales": pd.concat(sales, ignore_index=True)[
            ["date", "store_number", "item_number", "item_description", "zip_code", "bottles_sold"]
        ],
        "covid19_weathersource_com.postal_code_day_history": pd.concat(history, ignore_index=True),
    }


def wikipedia_pageviews(seed: int = 2017) -> dict[str, pd.DataFrame]:
    """`wikipedia.pageviews_<year>` (`datehour` TIMESTAMP, `wiki`, `title` STRINGs, `views` INT64), 2017 .. 2022:
    the `Google_I/O` page's views rise from the day before each Google I/O to two days after, and fall at
    Christmas and New Year."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2017-01-01", "2022-12-31")
    io = pd.to_datetime(["2017-05-17", "2018-05-08", "2019-05-07", "2021-05-18", "2022-05-11"])
    near_io = np.zeros(len(days), bool)
    for day in io:
        near_io |= (days >= day - pd.Timedelta(days=1)) & (days <= day + pd.Timedelta(days=2))
    holiday = ((days.month == 12) & (days.day == 25)) | ((days.month == 1) & (days.day == 1))
    level = 600 * (1 + 0.2 * (days.dayofweek < 5)) * np.where(near_io, 4.0, 1.0) * np.where(holiday, 0.6, 1.0)
    frames = []
    for title, scale in (("Google_I/O", 1.0), ("Google", 20.0)):
        for hour in (0, 12):
            frames.append(
                pd.DataFrame(
                    {
                        "datehour": days + pd.Timedelta(hours=hour),
                        "wiki": "en",
                        "title": title,
                        "views": rng.poisson(level * scale / 2),
                    }
                )
            )
    frame = pd.concat(frames, ignore_index=True)
    frame["datehour"] = frame["datehour"].astype("datetime64[us]")
    year = frame["datehour"].dt.year
    return {f"wikipedia.pageviews_{y}": frame[year == y].reset_index(drop=True) for y in range(2017, 2023)}


def mytimeseries(n: int = 200, seed: int = 11) -> pd.DataFrame:
    """The time series reference pages' placeholder table: a daily `transaction` with a trend, a weekly season
    and the effect of `feature1`, `feature2`; `company_name` (two halves of the days) and `department_name`
    (blocks of 50 days) split it in series; `timeseries_date`, `timeseries_metric` are `date`, `transaction`."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    feature1, feature2 = rng.normal(10, 2, n), rng.uniform(0, 5, n)
    transaction = 500 + 0.8 * t + 20 * np.sin(2 * np.pi * t / 7) + 6 * feature1 - 4 * feature2 + rng.normal(0, 5, n)
    date = pd.date_range("2023-01-01", periods=n).date
    return pd.DataFrame(
        {
            "date": date,
            "transaction": transaction,
            "feature1": feature1,
            "feature2": feature2,
            "company_name": np.where(t < n // 2, "Alphabet", "Cymbal"),
            "department_name": np.where(t // 50 % 2 == 0, "sales", "support"),
            "timeseries_date": date,
            "timeseries_metric": transaction,
        }
    )


def city_temperatures(seed: int = 21) -> pd.DataFrame:
    """ML.DETECT_ANOMALIES' example table (`state`, `city`, `date`, `temperature`, `weather`): daily temperatures
    of two cities, 2020-01-01 .. 2021-01-31, with a weekly wobble, each with one hot day in 2020 (2020-07-14) and
    one in January 2021 (2021-01-05)."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2020-01-01", "2021-01-31")
    n = len(days)
    frames = []
    for state, city, mean in (("WA", "Seattle", 52.0), ("CA", "Los Angeles", 66.0)):
        season = -10 * np.cos(2 * np.pi * (days.dayofyear.to_numpy() - 15) / 365.25)
        temperature = mean + season + 2 * np.sin(2 * np.pi * np.arange(n) / 7) + rng.normal(0, 1, n)
        temperature[days.isin(pd.to_datetime(["2020-07-14", "2021-01-05"]))] += 25
        weather = rng.choice(["sunny", "cloudy", "rainy"], n)
        frames.append(pd.DataFrame({"state": state, "city": city, "date": days.date, "temperature": temperature,
                                    "weather": weather}))  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def movielens(n_users: int = 100, n_movies: int = 50, per_user: int = 20, seed: int = 1997) -> dict[str, pd.DataFrame]:
    """MovieLens-like ratings (user_id, item_id, rating 1..5, timestamp) of a planted rank-3 taste model, and the
    movies (movie_id, movie_title, genre)."""
    rng = np.random.default_rng(seed)
    users, movies = rng.normal(0, 0.8, (n_users, 3)), rng.normal(0, 0.8, (n_movies, 3))
    bias = rng.normal(0, 0.5, n_movies)
    user_ids = np.repeat(np.arange(1, n_users + 1), per_user)
    item_ids = np.concatenate([rng.choice(n_movies, per_user, replace=False) for _ in range(n_users)]) + 1
    signal = 3.5 + bias[item_ids - 1] + np.einsum("ij,ij->i", users[user_ids - 1], movies[item_ids - 1])
    ratings = pd.DataFrame(
        {
            "user_id": user_ids,
            "item_id": item_ids,
            "rating": np.clip(np.round(signal + rng.normal(0, 0.4, len(signal))), 1, 5).astype(float),
            "timestamp": pd.Timestamp("2000-05-01", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 10**7, len(signal)), "s"),
        }
    )
    genres = ["Drama", "Comedy", "Action|Drama", "Documentary", "Comedy|Romance"]
    titles = pd.DataFrame(
        {
            "movie_id": np.arange(1, n_movies + 1),
            "movie_title": [f"Movie {i} ({1930 + i})" for i in range(1, n_movies + 1)],
            "genre": [genres[i % len(genres)] for i in range(n_movies)],
        }
    )
    return {"bqml_tutorial.ratings": ratings, "bqml_tutorial.movies": titles, "movielens.movielens_1m": ratings}


def _ga360_content_sessions(con: duckdb.DuckDBPyConnection, n: int = 150, contents: int = 30, seed: int = 360) -> None:
    """GA360_test.ga_sessions_sample: each visitor's page hits, milliseconds apart (median about a minute), each
    on a content (customDimensions index 10) drawn mostly from the visitor's favourite few; some event hits."""
    rng = np.random.default_rng(seed)
    ids = [str(100_000_000 + 7_919 * c) for c in range(contents)]
    rows = []
    for visitor in range(n):
        favourites = rng.choice(contents, 4, replace=False)
        time = 0
        hits = []
        for _ in range(rng.integers(6, 14)):
            content = favourites[rng.integers(4)] if rng.random() < 0.8 else rng.integers(contents)
            dimensions = [{"index": 4, "value": "en"}, {"index": 10, "value": ids[content]}]
            hits.append(
                {"time": time, "type": "PAGE" if rng.random() < 0.9 else "EVENT", "customDimensions": dimensions}
            )
            time += int(rng.exponential(60_000)) + 1
        rows.append({"fullVisitorId": f"{rng.integers(10**17, 10**18):019d}", "visitId": visitor, "hits": hits})
    con.register("sample", pd.DataFrame(rows))
    con.execute(
        'CREATE TABLE GA360_test.ga_sessions_sample AS SELECT fullVisitorId, visitId, hits::STRUCT("time" BIGINT, '
        '"type" VARCHAR, customDimensions STRUCT("index" BIGINT, "value" VARCHAR)[])[] AS hits FROM sample'
    )
    con.unregister("sample")


def _ga_sessions(con: duckdb.DuckDBPyConnection, n: int = 3000, seed: int = 20160801) -> None:
    """Google Analytics sessions; about 2% of them (more with many pageviews) end in a transaction. Weekdays have
    twice the sessions of weekend days (the weekly season of the forecasting tutorial's visits per day)."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2016-08-01", "2017-08-01")
    days = dates.strftime("%Y%m%d").to_numpy()
    weekday = np.where(dates.dayofweek < 5, 2.0, 1.0)
    pageviews = rng.geometric(0.25, n)
    is_mobile = rng.random(n) < 0.25
    buys = rng.random(n) < 1 / (1 + np.exp(-(-7.0 + 0.45 * pageviews - 1.0 * is_mobile)))
    frame = pd.DataFrame(
        {
            "fullVisitorId": [f"{v:019d}" for v in rng.integers(10**17, 10**18, n)],
            "visitId": rng.integers(1_470_000_000, 1_500_000_000, n),
            "date": rng.choice(days, n, p=weekday / weekday.sum()),
            "pageviews": np.where(rng.random(n) < 0.01, None, pageviews),
            "transactions": np.where(buys, 1, None),
            "os": rng.choice(["Windows", "Macintosh", "Android", "iOS", "Linux", None], n),
            "is_mobile": is_mobile,
            "country": rng.choice(["United States", "India", "Canada", "Germany", "Japan", None], n),
            "source": rng.choice(["google", "(direct)", "youtube.com"], n),
        }
    )
    con.register("sessions", frame)
    con.execute(
        """CREATE TEMPORARY TABLE ga_sessions AS
        SELECT fullVisitorId, visitId, date,
               {'visits': 1, 'hits': pageviews::BIGINT, 'pageviews': pageviews::BIGINT,
                'transactions': transactions::BIGINT,
                'transactionRevenue': (transactions * 50000000)::BIGINT} AS totals,
               {'source': source, 'medium': 'organic'} AS trafficSource,
               {'browser': 'Chrome', 'operatingSystem': os, 'isMobile': is_mobile,
                'deviceCategory': CASE WHEN is_mobile THEN 'mobile' ELSE 'desktop' END} AS device,
               {'continent': 'Americas', 'country': country} AS geoNetwork,
               [{'hitNumber': h::BIGINT, 'type': 'PAGE', 'page': {'pagePath': '/page' || h}}
                FOR h IN range(1, coalesce(pageviews, 0)::BIGINT + 1)] AS hits
        FROM sessions"""
    )
    con.unregister("sessions")
    days = con.execute("SELECT DISTINCT date FROM ga_sessions ORDER BY date").fetchall()
    con.execute("BEGIN")  # one commit for the 366 tables
    for (day,) in days:
        con.execute(f"CREATE TABLE google_analytics_sample.ga_sessions_{day} AS FROM ga_sessions WHERE date = ?", [day])
    con.execute("COMMIT")


def write_iris_onnx(path: Path) -> Path:
    """The ONNX tutorial's `pipeline_rf.onnx`: scikit-learn's StandardScaler + RandomForestClassifier pipeline on
    iris (integer classes), converted by skl2onnx as the tutorial does (one [N, 1] float input per iris column,
    zipmap off: outputs `label` and `probabilities`); a fixed random_state where the tutorial shuffles."""
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    data = load_iris()
    pipe = Pipeline([("scaler", StandardScaler()), ("clr", RandomForestClassifier(n_estimators=20, random_state=0))])
    pipe.fit(data.data[:, :4], data.target)
    columns = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    initial_types = [(column, FloatTensorType([None, 1])) for column in columns]
    model = convert_sklearn(pipe, "pipeline_rf", initial_types=initial_types, options={id(pipe): {"zipmap": False}})
    path.write_bytes(model.SerializeToString())
    return path
