"""Peer (a): pyarrow + numpy + scipy.sparse.csgraph.connected_components."""
import sys
import time

import numpy as np
import pyarrow.csv as pacsv
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from arrow_normalize import edges


def resolve(path):
    table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
        column_types={c: "string" for c in ("record_id", "source", "email", "phone", "loyalty_id", "device_id", "pos_card")}))
    n = table.num_rows
    rows, cols, values = edges(table)
    graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols + n)), shape=(n + values, n + values))
    _, labels = connected_components(graph, directed=False)
    return table.column("record_id").to_pylist(), labels[:n]


if __name__ == "__main__":
    t0 = time.perf_counter()
    keys, labels = resolve(sys.argv[1])
    print(f"{time.perf_counter() - t0:.3f}")
