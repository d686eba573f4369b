print("bench-examples: no benchmarks yet")
