"""Peak memory of CREATE MODEL ARIMA_PLUS over many daily series (1,000 x 730 rows by default): the statement's
process by phase (sampled every 50 ms: DuckDB sorting and the first tasks, reading and fitting the series, the
model's artifact, the catalog insert) and each worker process's peak (VmHWM).

    python -m benchmarks.forecast_memory [--series N] [--days N]

Linux only (/proc). Memory never gates CI.
"""

from __future__ import annotations

import argparse
import threading
import time

from sqlml.engine.forecasting import state, workers
from sqlml.engine.session import Session
from sqlml.engine.store import catalog
from sqlml.engine.training import create_model


def _status(pid: int | str, field: str) -> int:
    """A /proc/<pid>/status field in MiB."""
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) // 1024 for line in status if line.startswith(field))


def _traced(owner, name: str, during: str, after: str, phase: list[str]) -> None:
    """Set phase[0] to `during` while owner.name runs, then to `after`."""
    original = getattr(owner, name)

    def traced(*args, **kwargs):
        phase[0] = during
        result = original(*args, **kwargs)
        phase[0] = after
        return result

    setattr(owner, name, traced)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--days", type=int, default=730)
    args = parser.parse_args()
    session = Session()
    session.cursor().execute(
        "CREATE TABLE t AS SELECT s AS sid, DATE '2022-01-01' + INTERVAL (i) DAY AS d, "
        "100 + s % 17 + 10 * sin(2 * pi() * i / 7) + 0.02 * i + 3 * sin(i * (s + 1) * 0.37) AS y "
        f"FROM range({args.series}) a(s), range({args.days}) b(i)"
    )
    phase, peaks, size = ["data loaded"], {}, []

    def sample() -> None:
        while phase[0] != "end":
            peaks[phase[0]] = max(peaks.get(phase[0], 0), _status("self", "VmRSS"))
            time.sleep(0.05)

    artifact = state.ForecastModel.artifact
    state.ForecastModel.artifact = lambda model: size.append(len(data := artifact(model))) or data
    _traced(create_model, "query_fingerprint", "data fingerprint", "model artifact", phase)
    _traced(catalog, "insert_version", "catalog insert", "committing", phase)
    session.on_progress = lambda task, done, total: phase.__setitem__(0, "reading and fitting the series")
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    time.sleep(0.1)
    phase[0] = "sorting, first tasks"
    start = time.monotonic()
    session.cursor().execute(
        "CREATE MODEL m OPTIONS(model_type='ARIMA_PLUS', time_series_timestamp_col='d', time_series_data_col='y', "
        "time_series_id_col='sid', horizon=30) AS SELECT sid, d, y FROM t"
    )
    seconds = time.monotonic() - start
    time.sleep(0.1)
    phase[0] = "end"
    sampler.join()
    print(f"{args.series} series x {args.days} days: CREATE MODEL {seconds:.0f} s, artifact {size[0] / 2**20:.1f} MiB")
    for name, peak in peaks.items():
        print(f"  statement process, {name}: peak RSS {peak} MiB")
    for worker in list(workers.pool().idle.queue):
        if worker.process is not None:
            print(f"  worker {worker.process.pid}: peak RSS {_status(worker.process.pid, 'VmHWM')} MiB")


if __name__ == "__main__":
    main()
