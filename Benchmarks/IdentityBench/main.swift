print("idr-bench")
