"""Handing CREATE MODEL's training, tuning trials, batch prediction and many-series forecasting to a Dask cluster
(`pip install 'sqlml[cluster]'`). The engine reaches it through engine/compute.py, registered by root.py; nothing
here loads until a session uses a cluster."""
