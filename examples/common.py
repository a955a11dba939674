"""What the example scripts share: the --quick/--out command line and saving a computation graph."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable, Optional, Tuple

from minigrad.viz import GraphvizNotFoundError, draw_graph, render_graph


def parse_args(name: str, description: str, quick_help: str,
               extra: Optional[Callable[[argparse.ArgumentParser], object]] = None) -> Tuple[argparse.Namespace, Path]:
    """Parse `--quick` and `--out` (default runs/<name>/, created), plus any `extra` arguments."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--out", default=f"runs/{name}", help="folder for the outputs")
    if extra is not None:
        extra(parser)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    return args, out


def save_graph(loss, path: Path, params: dict) -> Path:
    """Render the graph behind `loss` as SVG; without Graphviz's `dot`, write the DOT source instead."""
    try:
        return Path(render_graph(loss, path=path.with_suffix(".svg"), format="svg", params=params))
    except GraphvizNotFoundError:
        dot_path = path.with_suffix(".dot")
        dot_path.write_text(draw_graph(loss, params=params).source)
        print(f"Graphviz's `dot` program was not found: wrote the DOT source {dot_path} instead "
              "(install Graphviz and run `dot -Tsvg` on it to get the picture)")
        return dot_path
