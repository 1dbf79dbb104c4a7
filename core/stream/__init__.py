"""The Kinesis stream from the producer's side: events put on it in batches, with retries (the
dashboard's Send page, `python -m core send`, tests and benchmarks)."""
