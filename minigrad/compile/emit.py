"""Printing a program as Python source: unused lines dropped, buffers for the values that stay inside
the call, ufuncs writing into them, one function.

A value that leaves the call (a returned tensor, a gradient kept in `.grad`) is computed by a plain
numpy expression, so it is a new array each call, as in an uncompiled step. Every other value that a
ufunc (`a * b`, `np.exp(a)`, `a @ b`, `np.add.reduce(a, axis=0)` ...) computes gets an array allocated
once, at compile time, that the line's ufunc writes into (its output argument); the ufuncs inside the
line's expression write into scratch arrays that all lines share (they live for one line) or, for an
operand of the result's shape, into the result itself. So each line is still the rule's own
expression, evaluated in its order.
"""
from __future__ import annotations

import ast
import re
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from .inline import Evaluator, Namespace
from .program import Line, Program, Value

_BINOP_UFUNCS = {ast.Add: "add", ast.Sub: "subtract", ast.Mult: "multiply", ast.Div: "true_divide",
                 ast.MatMult: "matmul"}
_CMP_UFUNCS = {ast.Lt: "less", ast.LtE: "less_equal", ast.Gt: "greater", ast.GtE: "greater_equal",
               ast.Eq: "equal", ast.NotEq: "not_equal"}
_SECTIONS = {"arguments": "the arguments, as traced", "parameters": "the tensors it reads (as traced: shape, dtype)",
             "zero_grad": "zero_grad", "forward": "forward", "backward": "backward", "update": "update"}


def text(node: ast.AST) -> str:
    return ast.unparse(node)


def _layout(a: np.ndarray) -> Any:
    """How `a` lies in memory: "C", or its axes from outermost to innermost. numpy gives a ufunc's result the
    layout of its input (a ReLU of a transposed view is laid out transposed), so a buffer made like the
    traced value keeps the replay streaming through memory as the step did (W7's conv ReLU written into
    a C-ordered buffer: the compiled step 1.17x the uncompiled one)."""
    return "C" if a.flags.c_contiguous else tuple(np.argsort([-abs(s) for s in a.strides], kind="stable"))


class _Scratch:
    """Arrays shared by all lines for the intermediate results inside one line."""

    def __init__(self, ns: Namespace) -> None:
        self.ns = ns
        self.pool: Dict[tuple, List[str]] = {}
        self.used: Dict[tuple, int] = {}

    def take(self, like: np.ndarray) -> str:
        """A scratch array with the shape, dtype and layout of `like`, not yet taken in this line."""
        key = (like.shape, like.dtype.str, _layout(like))
        k = self.used.get(key, 0)
        names = self.pool.setdefault(key, [])
        if k == len(names):
            names.append(self.ns.add(np.empty_like(like), "tmp"))
        self.used[key] = k + 1
        return names[k]

    def release(self) -> None:
        self.used.clear()


class Emitter:
    def __init__(self, prog: Program) -> None:
        self.prog = prog
        self.ns = prog.ns
        self.ev: Evaluator = prog.ev
        self.scratch = _Scratch(self.ns)
        self.buffers: Dict[int, str] = {}  # id(value) -> the buffer it is computed into

    # ----------------------------------------------------------------- analyses
    def live_lines(self) -> List[Line]:
        """The lines that matter: those with effects and those whose values the result or they need."""
        live: set = {id(v) for _, v in self.prog.escaping}
        keep = []
        for line in reversed(self.prog.head + self.prog.lines):
            if line.effect or any(id(t) in live for t in line.targets):
                keep.append(line)
                live.update(id(u) for u in line.uses)
        keep.reverse()
        return keep

    def decide(self, lines: List[Line]) -> None:
        """Which values are fresh arrays (may be handed out without a copy), which get buffers."""
        escapes: Dict[int, int] = {}
        for _, v in self.prog.escaping + [(None, v) for _, v in self.prog.delivered]:
            escapes[id(v)] = escapes.get(id(v), 0) + 1
        for line in lines:
            if line.expr is None:
                continue
            for v in line.targets:
                v.fresh = id(v) in escapes and self._fresh(v, line)
            if line.pattern is None and len(line.targets) == 1:
                v = line.targets[0]
                v.buffer = (id(v) not in escapes and isinstance(v.array, np.ndarray)
                            and self._lowerable(line.expr) is not None)
        for node, v in self.prog.escaping:
            handed_out = v.fresh and escapes[id(v)] == 1  # nobody else holds the array: no copy needed
            node.func.id = ("wrap" if handed_out else "wrap_copy") if node.func.id.startswith("wrap") else \
                ("np.asarray" if handed_out else "copy")
        for owned, v in self.prog.delivered:
            owned.value = bool(v.fresh and escapes[id(v)] == 1)
        self._share_buffers(lines)

    def _share_buffers(self, lines: List[Line]) -> None:
        """Give each value with a buffer one that no live value holds: buffers return to a pool (by shape
        and dtype) after the last line that reads their value, so a backward's short-lived gradients
        reuse a few arrays (hot in cache) instead of one each. A value lives as long as the views taken
        of it, and as long as the program when a Python function (not a ufunc) received it: that
        function may have kept it (a custom Function's saved input)."""
        end = len(lines)
        last: Dict[int, int] = {}
        for i, line in enumerate(lines):
            kept = line.expr is not None and self._may_keep(line.expr)
            for u in line.uses:
                last[id(u)] = end if kept else i
        for i in range(len(lines) - 1, -1, -1):  # views: the base lives as long as the view
            line = lines[i]
            for t in line.targets:
                if not isinstance(t.array, np.ndarray):
                    continue
                for u in line.uses:
                    if u.buffer and isinstance(u.array, np.ndarray) and np.may_share_memory(t.array, u.array):
                        last[id(u)] = max(last.get(id(u), i), last.get(id(t), i))
        free: Dict[tuple, List[str]] = {}
        release: Dict[int, list] = {}
        for i, line in enumerate(lines):
            for t in line.targets:
                if t.buffer:
                    key = (t.array.shape, t.array.dtype.str, _layout(t.array))
                    pool = free.setdefault(key, [])
                    self.buffers[id(t)] = pool.pop() if pool else self.ns.add(np.empty_like(t.array), "buf")
                    release.setdefault(last.get(id(t), i), []).append((key, self.buffers[id(t)]))
            for key, name in release.pop(i, ()):  # after the line: never an operand's own output
                free[key].append(name)

    def _may_keep(self, expr: ast.expr) -> bool:
        """Whether the expression calls a function that might keep a reference to its arguments (anything
        but numpy's ufuncs and their reductions)."""
        for node in ast.walk(expr):
            if isinstance(node, ast.Call):
                fn = self.ev.values.get(id(node.func))
                owner = getattr(fn, "__self__", None)
                if not (isinstance(fn, np.ufunc) or isinstance(owner, np.ufunc) or fn is np.asarray):
                    return True
        return False

    def _fresh(self, v: Value, line: Line) -> bool:
        a = v.array
        if not isinstance(a, np.ndarray):
            return False
        used = [u.array for u in line.uses if isinstance(u.array, np.ndarray)]
        used += [o for o in self.ns.objects.values() if isinstance(o, np.ndarray)]
        return not any(np.may_share_memory(a, b) for b in used)

    # ----------------------------------------------------------------- out= lowering
    def _lowerable(self, node: ast.expr, scalar: bool = False) -> Optional[Tuple[str, list, list]]:
        """(function text, operands, keywords) when `node` is a ufunc call (an operator on arrays, np.<ufunc>(...)
        or ufunc.reduce) whose traced result is an array: it can write into a given array with out=."""
        val = self.ev.values.get(id(node))
        if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords and isinstance(val, np.ndarray) \
                and self.ev.values.get(id(node.func)) is np.asarray:
            return self._lowerable(node.args[0], scalar=True)  # np.asarray(a + b): the sum into a 0-d array
        if not isinstance(val, (np.ndarray, np.generic) if scalar else np.ndarray) or val.dtype.kind == "O":
            return None
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOP_UFUNCS:
            return f"np.{_BINOP_UFUNCS[type(node.op)]}", [node.left, node.right], []
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return "np.negative", [node.operand], []
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _CMP_UFUNCS:
            return f"np.{_CMP_UFUNCS[type(node.ops[0])]}", [node.left, node.comparators[0]], []
        if isinstance(node, ast.Call) and not any(isinstance(a, ast.Starred) for a in node.args):
            fn = self.ev.values.get(id(node.func))
            if isinstance(fn, np.ufunc) and fn.nout == 1 and not node.keywords and len(node.args) == fn.nin:
                return text(node.func), list(node.args), []
            owner = getattr(fn, "__self__", None)
            if isinstance(owner, np.ufunc) and getattr(fn, "__name__", "") == "reduce" and len(node.args) == 1 \
                    and all(k.arg in ("axis", "keepdims") for k in node.keywords):
                return text(node.func), list(node.args), list(node.keywords)
        return None

    def lower(self, node: ast.expr, dest: str, out: List[str]) -> str:
        """Statements computing `node` into array `dest` (appended to `out`); returns `dest`."""
        name, operands, keywords = self._lowerable(node)
        val = self.ev.values[id(node)]
        elementwise = name not in ("np.matmul",) and not name.endswith(".reduce")
        texts, dest_taken = [], False
        for child in operands:
            if self._lowerable(child) is None:
                texts.append(text(child))
                continue
            cval = self.ev.values[id(child)]
            if elementwise and not dest_taken and cval.shape == val.shape and cval.dtype == val.dtype \
                    and _layout(cval) == _layout(val):
                cdest, dest_taken = dest, True
            else:
                cdest = self.scratch.take(cval)
            texts.append(self.lower(child, cdest, out))
        if name.endswith(".reduce") or name in ("np.maximum", "np.minimum"):  # (numpy deprecates their positional out)
            texts += [f"{k.arg}={text(k.value)}" for k in keywords] + [f"out={dest}"]
        else:  # a ufunc takes its output array as the argument after its inputs: positional, it is parsed
            texts.append(dest)  # faster (np.multiply(a, 1.01, out) 600 ns, with out= 810 ns: W3 -8%)
        out.append(f"{name}({', '.join(texts)})")
        return dest

    # ----------------------------------------------------------------- printing
    def render(self, line: Line) -> str:
        comment = line.comment
        if line.text is not None:
            code = line.text
        elif line.stmt is not None:
            code = text(line.stmt)
        elif line.pattern is not None:
            code = f"{', '.join(v.name if v is not None else '_' for v in line.pattern)}, = {text(line.expr)}" \
                if len(line.pattern) == 1 else \
                f"{', '.join(v.name if v is not None else '_' for v in line.pattern)} = {text(line.expr)}"
        else:
            v = line.targets[0]
            if v.buffer:
                stmts: List[str] = []
                self.lower(line.expr, self.buffers[id(v)], stmts)
                self.scratch.release()
                stmts[-1] = f"{v.name} = {stmts[-1]}"  # a ufunc returns its output array: the value's name for it
                code = "; ".join(stmts)
                comment = f"{v.name} = {text(line.expr)}" + (f"   [{comment}]" if comment else "")
            else:
                code = f"{v.name} = {text(line.expr)}"
        if line.quiet:
            code = f'with np.errstate(over="ignore", under="ignore"): {code}'
        return f"{code:<60}  # {comment}" if comment else code

    def source(self, fn_name: str, doc: str) -> str:
        lines = self.live_lines()
        self.decide(lines)
        body: List[str] = []
        objects: List[tuple] = []  # (index in body, name) of the lines keeping an argument's tensor object
        section = None
        for line in lines:
            sec = line.section.split(":")[0]
            if sec != section and sec in _SECTIONS:
                body.append(f"# {_SECTIONS[sec]}")
                section = sec
            if line.section == "arguments:object":
                objects.append((len(body), line.text.split(" = ")[0]))
            body.append(self.render(line))
        body.append(f"return {text(self.prog.result)}")
        # an argument's tensor object is kept only where the body uses it (to deliver its .grad, to return it)
        joined = "\n".join(body)
        unused = {i for i, name in objects if len(re.findall(rf"\b{name}\b", joined)) == 1}
        body = [b for i, b in enumerate(body) if i not in unused]
        sig = ", ".join(self.prog.signature)
        out = [f"def {fn_name}({sig}):", f'    """{doc}"""']
        out += ["    " + b for b in body]
        return "\n".join(out) + "\n"
