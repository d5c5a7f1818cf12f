"""CREATE MODEL: reading the rows, splitting, fitting, tuning, AutoML, storing the version."""
