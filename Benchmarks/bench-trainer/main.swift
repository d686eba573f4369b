print("bench-trainer: no benchmarks yet")
