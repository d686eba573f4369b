print("bench-imaging: no benchmarks yet")
