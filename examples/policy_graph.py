"""Inspect the optimal policy as a graph: where it gives up, coasts, and how probability flows
===========================================================================================

Run it as a script::

    python examples/policy_graph.py
"""

import tempfile
from pathlib import Path

from slamarkov import Contract, Poisson, Problem, solve_dynamic
from slamarkov.analysis.inspect import inspect_policy
from slamarkov.analysis.graph import policy_graph
from slamarkov.io.graphs import read_graph, write_graph

problem = Problem(Contract.study(10, "lump-sum"), Poisson(5), holding_cost=1)
policy = solve_dynamic(problem).policy

G = policy_graph(policy)  # a networkx DiGraph of the chain's states and transitions
print(f"{G.number_of_nodes()} states, {G.number_of_edges()} transitions")
node = (10, 7)  # the last period, 7 ready so far: one more avoids the penalty
print(f"state {node}: {G.nodes[node]}")
for _, target, data in G.out_edges(node, data=True):
    print(f"  -> {target}: probability {data['probability']:.4f}")

print()
print(inspect_policy(policy).to_text())

with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "policy.graphml"
    write_graph(G, path)  # also .gexf, .json (node-link) and .dot (Graphviz)
    back = read_graph(path)
    print(f"\nGraphML round trip: {back.number_of_nodes()} nodes, {back.number_of_edges()} edges")

# %%
# The same chain drawn in its layered layout (the ``plot`` extra), each state's stock inside it:
# the zeros are the states where the policy gives up or coasts.
from slamarkov.plot.policy import draw_chain

figure = draw_chain(policy)
