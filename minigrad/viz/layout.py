"""Choosing the direction of the flow, so a layered net is not drawn as a 10:1 strip.

Graphviz puts every op and every tensor of a chain in a rank of its own: a two-layer net with its loss
is 13 ranks in a line, 2462 x 258 pt left to right. `draw_graph(layout="auto")` estimates the drawing's
extent before Graphviz runs (ranks from the longest path, node sizes from the label text) and turns a
flow that would be long and thin (LR -> TB, RL -> BT), where the same net is about as wide as it is tall.
Folding the flow into rows was tried and dropped: Graphviz routes the edges that jump back from the end
of one row to the start of the next around everything, through module boxes, and the picture got
harder to read than a vertical one.
"""
from __future__ import annotations

from typing import Dict, Iterable, List, Mapping, Sequence, Tuple

TURN_ABOVE = 2.5     # turn a flow whose drawing is longer than this times its breadth ...
TURN_LENGTH = 900.0  # ... and longer than this many points (12.5 in): a small graph stays as asked
TURNED = {"LR": "TB", "RL": "BT", "TB": "TB", "BT": "BT"}
_RANKSEP, _NODESEP = 36.0, 18.0  # points: Graphviz's defaults (0.5 in, 0.25 in)
_CHAR_W, _LINE_H = 5.6, 12.5  # points per character and per line of a 10-pt Helvetica label


def flow_ranks(keys: Sequence[str], edges: Iterable[Tuple[str, str]]) -> Dict[str, int]:
    """Rank of each node when drawn as late as possible: max distance to any sink, counted from the deepest."""
    succ: Dict[str, List[str]] = {k: [] for k in keys}
    pred: Dict[str, List[str]] = {k: [] for k in keys}
    for src, dst in edges:
        if src in succ and dst in succ:
            succ[src].append(dst)
            pred[dst].append(src)
    pending = {k: len(v) for k, v in succ.items()}
    dist = dict.fromkeys(keys, 0)
    ready = [k for k, n in pending.items() if n == 0]
    while ready:  # Kahn's algorithm from the sinks: no recursion, any depth
        k = ready.pop()
        for p in pred[k]:
            dist[p] = max(dist[p], dist[k] + 1)
            pending[p] -= 1
            if pending[p] == 0:
                ready.append(p)
    deepest = max(dist.values(), default=0)
    return {k: deepest - d for k, d in dist.items()}


def label_size(lines: Sequence[str], ellipse: bool = False) -> Tuple[float, float]:
    """Estimated (width, height) in points of a node whose label has these lines."""
    width = max((len(ln) for ln in lines), default=1) * _CHAR_W + 16.0
    height = len(lines) * _LINE_H + 12.0
    if ellipse:
        width, height = width * 1.3, height * 1.2
    return max(width, 54.0), max(height, 36.0)


def flow_extent(ranks: Mapping[str, int], sizes: Mapping[str, Tuple[float, float]],
                rankdir: str) -> Tuple[float, float]:
    """Estimated (length along the flow, breadth across it) of the drawing, in points."""
    across = rankdir in ("LR", "RL")  # ranks run left to right, the nodes of a rank stack vertically
    along: Dict[int, float] = {}
    breadth: Dict[int, float] = {}
    for k, r in ranks.items():
        w, h = sizes.get(k, (54.0, 36.0))
        a, b = (w, h) if across else (h, w)
        along[r] = max(along.get(r, 0.0), a)
        breadth[r] = breadth.get(r, -_NODESEP) + b + _NODESEP
    length = sum(along.values()) + _RANKSEP * (len(along) - 1)
    return length, max(breadth.values(), default=0.0)


def choose_rankdir(ranks: Mapping[str, int], sizes: Mapping[str, Tuple[float, float]], rankdir: str) -> str:
    """`rankdir`, or its vertical turn when the drawing would be long and thin that way and less so turned."""
    if rankdir not in ("LR", "RL"):
        return rankdir
    length, breadth = flow_extent(ranks, sizes, rankdir)
    if length <= TURN_LENGTH or length <= TURN_ABOVE * max(breadth, 1.0):
        return rankdir
    t_length, t_breadth = flow_extent(ranks, sizes, TURNED[rankdir])
    turned_ratio = max(t_length, t_breadth) / max(min(t_length, t_breadth), 1.0)
    return TURNED[rankdir] if turned_ratio < length / max(breadth, 1.0) else rankdir
