print("bench-shards: no benchmarks yet")
