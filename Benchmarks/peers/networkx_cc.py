"""Peer (c): networkx connected components (for up to about 1M records)."""
import sys
import time

import networkx as nx
import pyarrow.csv as pacsv

from arrow_normalize import edges


def resolve(path):
    table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
        column_types={c: "string" for c in ("record_id", "source", "email", "phone", "loyalty_id", "device_id", "pos_card")}))
    n = table.num_rows
    rows, cols, _ = edges(table)
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(rows.tolist(), (cols + n).tolist()))
    labels = [0] * n
    for i, component in enumerate(nx.connected_components(g)):
        for node in component:
            if node < n:
                labels[node] = i
    return table.column("record_id").to_pylist(), labels
