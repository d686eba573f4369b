print("bench-recordio: no benchmarks yet")
