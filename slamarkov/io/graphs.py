r"""Graph files: a policy's chain (a :class:`networkx.DiGraph` whose nodes are state tuples) as
GraphML, GEXF, node-link JSON or Graphviz DOT, and back.

In every export a node's id is the string ``"i,v"`` (e.g. ``"3,2"``), or ``"i,v,x"`` for a
transient state with stock on hand, or ``"i,D,F"`` and ``"i,D,F,x"`` on a fill-rate chain (units
demanded and filled so far, docs/model.md section 14) (:func:`node_id`); :func:`read_graph` turns it back into the
tuple and restores the attribute types, so a round trip gives the same nodes, edges and
attributes. Graph-level attributes survive GraphML, JSON and DOT; GEXF has no place for them
beyond the graph's name. DOT is written by pydot and read through :mod:`networkx.nx_pydot` (the
``graph`` extra: ``pip install 'slamarkov[graph]'``, imported only when a DOT file is written or
read); the file declares the attribute types in a graph attribute ``attribute_types`` and lays
stages out in ranks (``rank="same"``), so Graphviz's ``dot`` draws the layered chain. pydot's
parser is slow (seconds for a few hundred states): for large chains that are to be read back,
GraphML or JSON are the quick formats.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

from ..errors import GraphDependencyError, GraphFormatError
from .atomic import atomic_write
from .files import read_text

__all__ = ["GRAPH_FORMATS", "GraphFormatError", "graph_to_string", "graph_from_string",
           "write_graph", "read_graph", "node_id", "parse_node_id", "require_format"]


#: export formats, and the file suffixes that imply them
GRAPH_FORMATS = ("graphml", "gexf", "json", "dot")


_SUFFIXES = {".graphml": "graphml", ".gexf": "gexf", ".json": "json", ".dot": "dot", ".gv": "dot"}


# -- export and import ------------------------------------------------------------------------
def node_id(state) -> str:
    """The export id of a state: ``(3, 2)`` -> ``"3,2"``; with stock on hand
    ``(3, 2, 4)`` -> ``"3,2,4"``.

    Examples
    --------
    >>> node_id((3, 2)), node_id((3, 2, 4))
    ('3,2', '3,2,4')
    """
    return ",".join(str(k) for k in state)


_ID = re.compile(r"^\s*\d+\s*(?:,\s*\d+\s*){1,3}$")


def parse_node_id(text: str) -> tuple:
    """The state of an export id: ``"3,2"`` -> ``(3, 2)``, ``"3,2,4"`` -> ``(3, 2, 4)``
    (stage, ready count and, with stock carried over, stock on hand); on a fill-rate chain
    ``"3,7,6"`` -> ``(3, 7, 6)`` and ``"3,7,6,2"`` -> ``(3, 7, 6, 2)`` (stage, units demanded,
    units filled[, stock on hand]).

    Raises
    ------
    GraphFormatError
        When the id is not two to four non-negative integers separated by commas.

    Examples
    --------
    >>> parse_node_id("3,2"), parse_node_id("3,2,4"), parse_node_id("3,7,6,2")
    ((3, 2), (3, 2, 4), (3, 7, 6, 2))
    """
    if not _ID.match(str(text)):
        raise GraphFormatError(
            f"node id: expected 'i,v' or 'i,v,x' (e.g. '3,2' or '3,2,4'), or 'i,D,F' or "
            f"'i,D,F,x' on a fill-rate chain, got {text!r}")
    return tuple(int(k) for k in str(text).split(","))


def _check_format(fmt) -> str:
    if fmt not in GRAPH_FORMATS:
        raise GraphFormatError(f"format: must be one of {', '.join(GRAPH_FORMATS)}, got {fmt!r}")
    return fmt


def _format_of(path, fmt) -> str:
    if fmt is not None:
        return _check_format(fmt)
    suffix = Path(path).suffix.lower()
    if suffix not in _SUFFIXES:
        raise GraphFormatError(
            f"format: cannot tell from the suffix {suffix or '(none)'!r} of {path}; give one of "
            f"{', '.join(GRAPH_FORMATS)}"
        )
    return _SUFFIXES[suffix]


def _relabelled(G: nx.DiGraph) -> nx.DiGraph:
    import networkx as nx

    return nx.relabel_nodes(G, {n: node_id(n) for n in G.nodes}, copy=True)


_BOOL_KEY = re.compile(r'<key id="([^"]+)" for="(?:node|edge|graph)" attr\.name="[^"]*" '
                       r'attr\.type="boolean"')


def graph_to_string(G: nx.DiGraph, fmt: str) -> str:
    """Serialise a policy graph (tuple node keys) as GraphML, GEXF, node-link JSON or DOT.

    Node ids become ``"i,v"`` strings in every format.

    Parameters
    ----------
    G : networkx.DiGraph
        From :func:`policy_graph`, or any DiGraph whose nodes are (i, v) tuples and whose
        attributes are str, int, float or bool.
    fmt : {"graphml", "gexf", "json", "dot"}

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph(review_period=1)
    >>> G.add_edge((1, 0), (2, 1), probability=0.5, success=True)
    >>> print(graph_to_string(G, "json"))  # doctest: +ELLIPSIS
    {"directed": true, ..."edges": [{"probability": 0.5, "success": true, "source": "1,0", ...
    """
    import networkx as nx

    fmt = _check_format(fmt)
    H = _relabelled(G)
    if fmt == "graphml":
        text = "\n".join(nx.generate_graphml(H)) + "\n"
        # GraphML booleans are "true"/"false"; networkx writes Python's "True"/"False"
        for key in _BOOL_KEY.findall(text):
            text = re.sub(rf'(<data key="{re.escape(key)}">)(True|False)(</data>)',
                          lambda m: m.group(1) + m.group(2).lower() + m.group(3), text)
        return text
    if fmt == "gexf":
        return "\n".join(nx.generate_gexf(H)) + "\n"
    if fmt == "json":
        return json.dumps(nx.node_link_data(H, edges="edges"), allow_nan=False)
    return _to_dot(H)


def graph_from_string(text: str, fmt: str) -> nx.DiGraph:
    """Read a graph written by :func:`graph_to_string` back, with (i, v) tuple nodes.

    Raises
    ------
    GraphFormatError
        On text that is not a valid file of the format, or node ids that are not "i,v".

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph(review_period=1)
    >>> G.add_edge((1, 0), (2, 1), probability=0.5, success=True)
    >>> H = graph_from_string(graph_to_string(G, "dot"), "dot")
    >>> list(H.edges(data=True)), H.graph
    ([((1, 0), (2, 1), {'probability': 0.5, 'success': True})], {'review_period': 1})
    """
    import networkx as nx

    fmt = _check_format(fmt)
    try:
        if fmt == "graphml":
            H = nx.parse_graphml(text)
        elif fmt == "gexf":
            H = nx.read_gexf(io.BytesIO(text.encode("utf-8")))
        elif fmt == "json":
            H = nx.node_link_graph(json.loads(text), directed=True, edges="edges")
        else:
            H = _from_dot(text)
    except (GraphFormatError, GraphDependencyError):
        raise
    except Exception as exc:  # networkx and the XML/JSON parsers raise many kinds
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise GraphFormatError(f"{fmt}: cannot read the graph ({first})") from None
    for key in ("node_default", "edge_default", "mode"):
        H.graph.pop(key, None)
    if fmt == "gexf":
        for n, d in H.nodes(data=True):
            if d.get("label") == n:
                del d["label"]
        for _, _, d in H.edges(data=True):
            d.pop("id", None)
    if fmt == "dot":
        for key in _DOT_LAYOUT:
            H.graph.pop(key, None)
    out = nx.DiGraph()
    out.graph.update(H.graph)
    out.add_nodes_from((parse_node_id(n), d) for n, d in H.nodes(data=True))
    out.add_edges_from((parse_node_id(a), parse_node_id(b), d) for a, b, d in H.edges(data=True))
    return out


def write_graph(G: nx.DiGraph, path, fmt: str | None = None) -> str:
    """Write a policy graph to ``path`` atomically; the format defaults to the suffix
    (.graphml, .gexf, .json, .dot or .gv).

    Returns
    -------
    str
        The format written.

    Raises
    ------
    GraphFormatError
        On an unknown format or suffix.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_edge((1, 0), (2, 0), probability=1.0, success=False)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     fmt = write_graph(G, pathlib.Path(d) / "chain.gexf")
    ...     H = read_graph(pathlib.Path(d) / "chain.gexf")
    >>> fmt, list(H.edges(data=True))
    ('gexf', [((1, 0), (2, 0), {'probability': 1.0, 'success': False})])
    """
    fmt = _format_of(path, fmt)
    atomic_write(path, graph_to_string(G, fmt))
    return fmt


def read_graph(path, fmt: str | None = None) -> nx.DiGraph:
    """Read a graph file written by :func:`write_graph` (format from the suffix by default).

    Raises
    ------
    GraphFormatError
        On a missing or unreadable file, an unknown format, or malformed content.

    Examples
    --------
    >>> read_graph("missing.graphml")
    Traceback (most recent call last):
    ...
    slamarkov.errors.GraphFormatError: missing.graphml: no such file
    """
    fmt = _format_of(path, fmt)
    return graph_from_string(read_text(path, "a graph file", GraphFormatError), fmt)


# -- Graphviz DOT, through pydot and networkx.nx_pydot ---------------------------------------
#: graph attributes the DOT writer adds for Graphviz, dropped again on reading
_DOT_LAYOUT = ("rankdir", "attribute_types")


_TYPE_NAMES = {bool: "bool", int: "int", float: "float", str: "str"}


_DOT_COMMENT = ("// Graphviz DOT written by slamarkov: a policy's absorbing chain; node ids are "
                "\"i,v\" (stage i, ready count v)")


_DOT_COMMENT_CARRY = ("// Graphviz DOT written by slamarkov: a policy's absorbing chain; node ids "
                      "are \"i,v,x\" (stage i, ready count v, stock on hand x; absorbing: \"i,v\")")


_DOT_COMMENT_FILL = ("// Graphviz DOT written by slamarkov: a fill-rate policy's absorbing chain; "
                     "node ids are \"i,D,F\" (stage i, units demanded D and filled F so far)")


_DOT_COMMENT_FILL_CARRY = ("// Graphviz DOT written by slamarkov: a fill-rate policy's absorbing "
                           "chain; node ids are \"i,D,F,x\" (stage i, units demanded D and filled "
                           "F so far, stock on hand x; absorbing: \"i,D,F\")")


def require_format(fmt: str) -> None:
    """Refuse, before any work, a graph format whose extra is not installed (DOT needs pydot).

    Raises
    ------
    GraphDependencyError
        ``dot`` without pydot (``pip install 'slamarkov[graph]'``).

    Examples
    --------
    >>> require_format("graphml")  # needs nothing more
    """
    if fmt == "dot":
        _pydot()


def _pydot():
    """pydot, imported on first use (the ``graph`` extra)."""
    try:
        import pydot
    except ImportError:
        raise GraphDependencyError(
            "dot: Graphviz DOT files need pydot; install it with pip install 'slamarkov[graph]' "
            "(GraphML, GEXF and JSON need nothing more)") from None
    return pydot


def _dot_text(value) -> str:
    """An attribute value as DOT text: floats round-trip (repr), booleans are true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _type_of(value) -> str:
    for t, name in _TYPE_NAMES.items():  # bool before int: True is an int too
        if isinstance(value, t):
            return name
    raise GraphFormatError(
        f"dot: attribute value {value!r} of type {type(value).__name__} is not str, int, float "
        "or bool"
    )


def _attr_types(G) -> str:
    types: dict[tuple, str] = {}
    for scope, items in (("graph", [G.graph]), ("node", (d for _, d in G.nodes(data=True))),
                         ("edge", (d for *_, d in G.edges(data=True)))):
        for d in items:
            for k, x in d.items():
                types.setdefault((scope, k), _type_of(x))
    return ";".join(f"{s}:{k}={t}" for (s, k), t in types.items())


def _dot_attrs(d: dict) -> dict:
    return {str(k): _dot_text(x) for k, x in d.items()}


def _to_dot(H: nx.DiGraph) -> str:
    """DOT text of a graph with "i,v" (or "i,v,x") node ids, written by pydot: the attribute
    types go into the graph attribute ``attribute_types`` and each stage is one rank, so
    Graphviz's ``dot`` draws the layered chain."""
    types = _attr_types(H)  # refuses values DOT cannot carry before pydot is needed
    pydot = _pydot()
    name = H.graph.get("name")
    P = pydot.Dot(graph_name=_dot_text(name) if name is not None else "", graph_type="digraph")
    gattrs = {k: x for k, x in H.graph.items() if k != "name"}
    gattrs["rankdir"] = "LR"
    gattrs["attribute_types"] = types
    for k, x in _dot_attrs(gattrs).items():
        P.set(k, x)
    stages: dict = {}
    for n, d in H.nodes(data=True):
        stages.setdefault(d.get("stage"), []).append(n)
    if None not in stages:  # lay each stage out in one rank, as the study draws the chain
        for nodes in stages.values():
            rank = pydot.Subgraph(rank="same")
            for n in nodes:
                rank.add_node(pydot.Node(str(n)))
            P.add_subgraph(rank)
    for n, d in H.nodes(data=True):
        P.add_node(pydot.Node(str(n), **_dot_attrs(d)))
    for a, b, d in H.edges(data=True):
        P.add_edge(pydot.Edge(str(a), str(b), **_dot_attrs(d)))
    if H.graph.get("measure") == "fill-rate":
        carry = any(str(n).count(",") == 3 for n in H)
        comment = _DOT_COMMENT_FILL_CARRY if carry else _DOT_COMMENT_FILL
    else:
        carry = any(str(n).count(",") == 2 for n in H)
        comment = _DOT_COMMENT_CARRY if carry else _DOT_COMMENT
    return comment + "\n" + P.to_string()


def _unquote(value):
    """A DOT id as text: pydot keeps the quotes and escapes of quoted ids."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace("\\\n", "").replace('\\"', '"')
    return value


def _parse_dot(text: str):
    """The one digraph in ``text``, parsed by pydot (its parse errors become one line)."""
    pydot = _pydot()
    said = io.StringIO()
    try:
        with contextlib.redirect_stdout(said):  # pydot prints its parse errors
            graphs = pydot.graph_from_dot_data(text)
    except Exception as exc:  # pyparsing raises several kinds
        graphs, said = None, io.StringIO(str(exc))
    if not graphs:
        lines = [x.strip() for x in said.getvalue().splitlines() if x.strip()]
        why = next((x for x in lines if x.startswith("Expected")), lines[-1] if lines else "")
        raise GraphFormatError(f"dot: cannot read the graph ({why or 'not DOT'})")
    if len(graphs) != 1:
        raise GraphFormatError(f"dot: expected one graph, got {len(graphs)}")
    P = graphs[0]
    if P.get_type() != "digraph":
        raise GraphFormatError(f"dot: expected 'digraph', got {P.get_type()!r}")
    return P


def _add_subgraphs(G: nx.DiGraph, P) -> None:
    """Nodes and edges stated inside subgraphs (nx_pydot.from_pydot reads the top level only)."""
    for sub in P.get_subgraph_list():
        for node in sub.get_node_list():
            n = _unquote(node.get_name())
            if n not in ("node", "graph", "edge"):
                G.add_node(n, **node.get_attributes())
        for edge in sub.get_edge_list():
            a, b = edge.get_source(), edge.get_destination()
            if not (isinstance(a, str) and isinstance(b, str)):
                raise GraphFormatError("dot: subgraphs as edge ends are not supported")
            G.add_edge(_unquote(a), _unquote(b), **edge.get_attributes())
        _add_subgraphs(G, sub)


def _convert(value: str, typ: str):
    if typ == "int":
        return int(value)
    if typ == "float":
        return float(value)
    if typ == "bool":
        if value not in ("true", "false"):
            raise GraphFormatError(f"dot: expected true or false, got {value!r}")
        return value == "true"
    return value


def _from_dot(text: str) -> nx.DiGraph:
    import networkx as nx

    P = _parse_dot(text)
    M = nx.nx_pydot.from_pydot(P)
    G = nx.DiGraph()
    G.add_nodes_from(M.nodes(data=True))
    G.add_edges_from(M.edges(data=True))
    _add_subgraphs(G, P)
    G = nx.relabel_nodes(G, {n: _unquote(n) for n in G.nodes}, copy=True)
    if M.graph.get("name"):
        G.graph["name"] = _unquote(f'"{M.graph["name"]}"')
    for defaults in P.get_graph_defaults() or []:  # graph [k=v] statements
        G.graph.update(defaults)
    G.graph.update(M.graph.get("graph", {}))
    for d in [G.graph, *(d for _, d in G.nodes(data=True)), *(d for *_, d in G.edges(data=True))]:
        for k in d:
            d[k] = _unquote(d[k])
    decl = G.graph.get("attribute_types", "")
    types = {}
    for item in filter(None, decl.split(";")):
        scope_key, _, typ = item.rpartition("=")
        scope, _, key = scope_key.partition(":")
        if typ not in ("int", "float", "bool", "str") or scope not in ("graph", "node", "edge"):
            raise GraphFormatError(f"dot: attribute_types: cannot read {item!r}")
        types[(scope, key)] = typ
    try:
        for k in list(G.graph):
            G.graph[k] = _convert(G.graph[k], types.get(("graph", k), "str"))
        for _, d in G.nodes(data=True):
            for k in d:
                d[k] = _convert(d[k], types.get(("node", k), "str"))
        for *_, d in G.edges(data=True):
            for k in d:
                d[k] = _convert(d[k], types.get(("edge", k), "str"))
    except ValueError as exc:
        raise GraphFormatError(f"dot: attribute value does not match its declared type ({exc})") \
            from None
    return G
