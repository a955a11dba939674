"""Expressions of the generated code: an op's forward or derivative rule written out in place.

A rule such as sigmoid's `lambda g, y, x: g * y * (1 - y)` is an expression over its parameters. Its
source is read back (`_body`), its parameters are replaced by the program's values (`Ref` nodes) and
its free names by objects put in the generated module's namespace, so the generated line is the rule
itself: `dh = ds * s * (1 - s)`. Functions whose body is a single `return` are inlined the same way;
calls to minigrad ops inside a rule become calls to their numpy forwards (what the op runs on arrays),
themselves inlined when they can be. Anything else stays a call of the original function.

Every node gets its value at compile time (`Evaluator`, on the traced arrays), which decides what can
be folded into a literal (shapes, attributes, numbers computed from them) and which operations can
write into preallocated buffers (`emit.Emitter.lower`).
"""
from __future__ import annotations

import ast
import builtins
import inspect
import math
import operator
import textwrap
from functools import lru_cache
from typing import Any, Callable, Dict, Optional

import numpy as np

from ..autograd import function as _function


class Ref(ast.Name):
    """A value of the program inside an expression: printed as the value's name (`ast.unparse` takes it for
    a Name: the class says it is one), never descended into by transformers (no fields)."""

    _fields = ()

    def __init__(self, value: Any) -> None:
        super().__init__(ctx=ast.Load())
        self.value = value

    @property
    def id(self) -> str:  # noqa: A003  (ast.Name's attribute)
        return self.value.name


Ref.__name__ = "Name"  # ast.unparse dispatches on the class name


def copy_tree(node: Any) -> Any:
    """A copy of an expression tree (new nodes; the same values in its Refs), much faster than deepcopy."""
    if isinstance(node, Ref):
        return Ref(node.value)
    if isinstance(node, ast.AST):
        new = type(node).__new__(type(node))
        for f in node._fields:
            setattr(new, f, copy_tree(getattr(node, f, None)))
        return new
    if isinstance(node, list):
        return [copy_tree(n) for n in node]
    return node


# names the generated module binds besides numpy (see compile/__init__.py and runtime.py)
HELPERS = ("params", "Tensor", "zero_grads", "plain_sgd_lr", "deliver", "wrap", "wrap_copy", "copy", "bump",
           "same_static", "argument_mismatch", "parameter_changed")


class Namespace:
    """The generated module's globals: objects get one name each (the same object, the same name)."""

    def __init__(self) -> None:
        self.objects: Dict[str, Any] = {"np": np, "math": math}
        self._names: Dict[int, str] = {id(np): "np", id(math): "math"}
        self.taken: set = set(self.objects) | set(dir(builtins)) | set(HELPERS)
        self._next: Dict[str, int] = {}  # base name -> the suffix to try next

    def add(self, obj: Any, hint: str) -> str:
        name = self._names.get(id(obj))
        if name is not None:
            return name
        name = self.fresh(hint)
        self.objects[name] = obj
        self._names[id(obj)] = name
        return name

    def fresh(self, hint: str) -> str:
        """A name not taken yet: `hint`, else hint_2, hint_3 ..."""
        base = identifier(hint)
        name, k = base, self._next.get(base, 2)
        while name in self.taken:
            name, k = f"{base}_{k}", k + 1
        self._next[base] = k
        self.taken.add(name)
        return name


def identifier(text: str) -> str:
    """`text` as a Python identifier (dots and other characters become underscores)."""
    out = "".join(c if c.isalnum() or c == "_" else "_" for c in str(text)) or "v"
    return "v_" + out if out[0].isdigit() else out


# --------------------------------------------------------------------------- reading a function's body

_SIMPLE = (ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.Call, ast.Attribute, ast.Subscript, ast.Name,
           ast.Constant, ast.Tuple, ast.List, ast.Slice, ast.IfExp, ast.keyword, ast.Load, ast.operator,
           ast.unaryop, ast.boolop, ast.cmpop, ast.expr_context)


@lru_cache(maxsize=None)
def _module_tree(filename: str) -> Optional[ast.Module]:
    try:
        with open(filename, encoding="utf-8") as f:
            return ast.parse(f.read(), filename)
    except (OSError, SyntaxError, ValueError):
        return None


def _same_code(a: Any, b: Any) -> bool:
    return (a.co_code == b.co_code and a.co_names == b.co_names and a.co_varnames == b.co_varnames
            and len(a.co_consts) == len(b.co_consts)
            and all(_same_code(x, y) if inspect.iscode(x) else type(x) is type(y) and x == y
                    for x, y in zip(a.co_consts, b.co_consts)))


def _lambda_node(fn: Callable) -> Optional[ast.Lambda]:
    """The AST of a lambda, found in its module's source by line and compiled code."""
    code = fn.__code__
    tree = _module_tree(code.co_filename)
    if tree is None:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Lambda) and node.lineno <= code.co_firstlineno <= (node.end_lineno or node.lineno):
            try:
                compiled = compile(ast.Expression(node), code.co_filename, "eval")
            except (SyntaxError, ValueError):
                continue
            inner = next((c for c in compiled.co_consts if inspect.iscode(c)), None)
            if inner is not None and _same_code(inner, code):
                return node
    return None


def _def_body(fn: Callable) -> Optional[tuple]:
    """(arguments, returned expression) of a def whose body is one return (after a docstring)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return None
    node = tree.body[0] if tree.body else None
    if not isinstance(node, ast.FunctionDef) or node.decorator_list:
        return None
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        body = body[1:]
    if len(body) != 1 or not isinstance(body[0], ast.Return) or body[0].value is None:
        return None
    return node.args, body[0].value


@lru_cache(maxsize=None)
def _body(fn: Callable) -> Optional[tuple]:
    """(positional parameter names, {parameter: default}, body expression, {free name: object}) for a
    plain Python function that is one expression, else None."""
    if not inspect.isfunction(fn) or hasattr(fn, "__wrapped__"):
        return None
    if fn.__name__ == "<lambda>":
        node = _lambda_node(fn)
        if node is None:
            return None
        args, expr = node.args, node.body
    else:
        found = _def_body(fn)
        if found is None:
            return None
        args, expr = found
    if args.vararg or args.kwarg or args.posonlyargs:
        return None
    if not all(isinstance(n, _SIMPLE) for n in ast.walk(expr)):
        return None
    names = [a.arg for a in args.args] + [a.arg for a in args.kwonlyargs]
    defaults = dict(zip([a.arg for a in args.args][len(args.args) - len(args.defaults):], fn.__defaults__ or ()))
    defaults.update(fn.__kwdefaults__ or {})
    cells = dict(zip(fn.__code__.co_freevars, (c.cell_contents for c in fn.__closure__ or ())))
    free = {}
    for n in ast.walk(expr):
        if isinstance(n, ast.Name) and n.id not in names and n.id not in free:
            if n.id in cells:
                free[n.id] = cells[n.id]
            elif n.id in fn.__globals__:
                free[n.id] = fn.__globals__[n.id]
            elif hasattr(builtins, n.id):
                free[n.id] = getattr(builtins, n.id)
            else:
                return None
    return tuple(names), defaults, expr, free, _uses(expr, names)


def _uses(expr: ast.expr, names: Any) -> Dict[str, int]:
    """How often the body reads each parameter."""
    counts = dict.fromkeys(names, 0)
    for n in ast.walk(expr):
        if isinstance(n, ast.Name) and n.id in counts:
            counts[n.id] += 1
    return counts


@lru_cache(maxsize=None)
def _source_body(source: str) -> Optional[tuple]:
    node = ast.parse(source, mode="eval").body
    if not isinstance(node, ast.Lambda):
        return None
    fn = eval(compile(ast.Expression(node), "<compile form>", "eval"), {"np": np})
    names = tuple(a.arg for a in node.args.args)
    defaults = dict(zip(names[len(names) - len(fn.__defaults__ or ()):], fn.__defaults__ or ()))
    free = {n.id: np for n in ast.walk(node.body) if isinstance(n, ast.Name) and n.id == "np"}
    return names, defaults, node.body, free, _uses(node.body, names)


# --------------------------------------------------------------------------- building expressions

def op_forward(fn: Any) -> Optional[Callable]:
    """The numpy forward of a minigrad op function (what it runs when given arrays), else None."""
    try:
        if fn in _function._generated:
            return fn.__globals__["forward"]
    except TypeError:  # unhashable
        return None
    return None


class Inliner:
    """Writes calls out as expressions: `inline(fn, args, kwargs)` substitutes a one-expression function's
    body, `call(fn, args, kwargs)` is the fallback (a call of the function, put in the namespace)."""

    def __init__(self, ns: Namespace, lookup: Callable[[Any], Optional[ast.expr]] = lambda v: None) -> None:
        self.ns = ns
        self.lookup = lookup  # the program's own values (arrays, tensors) -> Ref; None for constants

    def constant_of(self, value: Any, hint: str = "const") -> ast.expr:
        """`value` as an expression: a program value where it is one, else a constant (recursing into
        tuples and lists, so that an index holding a traced array refers to it)."""
        node = self.lookup(value)
        if node is not None:
            return node
        if type(value) in (tuple, list) and any(self.lookup(v) is not None for v in value):
            elts = [self.constant_of(v, hint) for v in value]
            return ast.Tuple(elts, ast.Load()) if type(value) is tuple else ast.List(elts, ast.Load())
        return self.constant(value, hint)

    def constant(self, value: Any, hint: str = "const") -> ast.expr:
        """A literal for numbers, strings, None and tuples of them; a namespace name for anything else."""
        if value is None or isinstance(value, (bool, int, str)) or value is Ellipsis:
            return ast.Constant(value)
        if type(value) is float and math.isfinite(value):
            return ast.Constant(value)
        if isinstance(value, tuple):
            return ast.Tuple([self.constant(v, hint) for v in value], ast.Load())
        if isinstance(value, slice):
            return ast.Call(ast.Name("slice", ast.Load()), [self.constant(value.start), self.constant(value.stop),
                                                            self.constant(value.step)], [])
        if isinstance(value, np.dtype):
            return self.name(value, str(value))
        return self.name(value, hint)

    def name(self, obj: Any, hint: str) -> ast.Name:
        return ast.Name(self.ns.add(obj, hint), ast.Load())

    def call(self, fn: Any, args: list, kwargs: Dict[str, ast.expr], hint: str) -> ast.Call:
        return ast.Call(self.name(fn, hint), list(args), [ast.keyword(k, v) for k, v in kwargs.items()])

    def inline(self, fn: Callable, args: list, kwargs: Dict[str, ast.expr], depth: int = 0) -> Optional[ast.expr]:
        """`fn(*args, **kwargs)` with fn's body substituted, or None when fn is not one expression."""
        found = _body(fn)
        return None if found is None else self._substitute(found, args, kwargs, depth)

    def inline_source(self, source: str, args: list, kwargs: Dict[str, ast.expr]) -> Optional[ast.expr]:
        """Like `inline` for a lambda given as source text (free names: numpy as np)."""
        found = _source_body(source)
        return None if found is None else self._substitute(found, args, kwargs, 0)

    def _substitute(self, found: tuple, args: list, kwargs: Dict[str, ast.expr], depth: int) -> Optional[ast.expr]:
        names, defaults, expr, free, uses = found
        bind: Dict[str, ast.expr] = {}
        if len(args) > len(names):
            return None
        bind.update(zip(names, args))
        for k, v in kwargs.items():
            if k not in names or k in bind:
                return None
            bind[k] = v
        for n in names:
            if n not in bind:
                if n not in defaults:
                    return None
                bind[n] = self.constant(defaults[n], n)
        # each argument substituted once where the body uses it once; used more often it must be a name or
        # literal, else its work would be repeated
        for n, node in bind.items():
            if uses[n] > 1 and not isinstance(node, (ast.Name, ast.Constant, Ref)):
                return None
        renames = {}
        for n, obj in free.items():
            if isinstance(obj, (int, float)) and not isinstance(obj, bool) and math.isfinite(obj):
                renames[n] = ast.Constant(obj)
            else:
                renames[n] = self.name(obj, n)
        body = _Substitute(bind, renames).visit(copy_tree(expr))
        return _Calls(self, depth).visit(body) if depth < 3 else body


class _Substitute(ast.NodeTransformer):
    def __init__(self, bind: Dict[str, ast.expr], renames: Dict[str, ast.expr]) -> None:
        self.bind, self.renames = bind, renames

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id in self.bind:
            return copy_tree(self.bind[node.id])
        if node.id in self.renames:
            return copy_tree(self.renames[node.id])
        return node


class _Calls(ast.NodeTransformer):
    """Inside an inlined body: a minigrad op called on arrays is its numpy forward (inlined when it can be)."""

    def __init__(self, inliner: Inliner, depth: int) -> None:
        self.inliner, self.depth = inliner, depth

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        if not isinstance(node.func, ast.Name) or any(isinstance(a, ast.Starred) for a in node.args) \
                or any(k.arg is None for k in node.keywords):
            return node
        fn = self.inliner.ns.objects.get(node.func.id)
        forward = op_forward(fn)
        if forward is None:
            return node
        kwargs = {k.arg: k.value for k in node.keywords}
        if isinstance(forward, np.ufunc):
            if kwargs or len(node.args) != forward.nin:
                return node
            return ufunc_call(self.inliner, forward, node.args)
        body = self.inliner.inline(forward, node.args, kwargs, self.depth + 1)
        if body is not None:
            return body
        return self.inliner.call(forward, node.args, kwargs, forward.__name__.lstrip("_") or "forward")


_BINOPS = {np.add: ast.Add, np.subtract: ast.Sub, np.multiply: ast.Mult, np.true_divide: ast.Div,
           np.matmul: ast.MatMult}
_CMPOPS = {np.less: ast.Lt, np.less_equal: ast.LtE, np.greater: ast.Gt, np.greater_equal: ast.GtE,
           np.equal: ast.Eq, np.not_equal: ast.NotEq}


def ufunc_call(inliner: Inliner, ufunc: np.ufunc, args: list) -> ast.expr:
    """`ufunc(*args)` as the operator it is (`a + b`, `-a`, `a < b`) or as `np.name(...)`."""
    if len(args) == 2 and ufunc in _BINOPS:
        return ast.BinOp(args[0], _BINOPS[ufunc](), args[1])
    if len(args) == 2 and ufunc in _CMPOPS:
        return ast.Compare(args[0], [_CMPOPS[ufunc]()], [args[1]])
    if len(args) == 1 and ufunc is np.negative:
        return ast.UnaryOp(ast.USub(), args[0])
    return ast.Call(ast.Attribute(ast.Name("np", ast.Load()), ufunc.__name__, ast.Load()), list(args), [])


# --------------------------------------------------------------------------- values at compile time

_BIN = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow, ast.MatMult: operator.matmul,
        ast.BitAnd: operator.and_, ast.BitOr: operator.or_, ast.BitXor: operator.xor, ast.LShift: operator.lshift,
        ast.RShift: operator.rshift}
_UN = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert, ast.Not: operator.not_}
_CMP = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Eq: operator.eq,
        ast.NotEq: operator.ne, ast.Is: operator.is_, ast.IsNot: operator.is_not, ast.In: lambda a, b: a in b,
        ast.NotIn: lambda a, b: a not in b}
_STATIC_ATTRS = ("shape", "ndim", "dtype", "size")  # of a program value: fixed by the traced shapes


class Evaluator:
    """Computes every node's value on the traced arrays (`values[id(node)]`) and whether it is static,
    i.e. the same on every call (it depends on shapes and constants only, not on array contents)."""

    def __init__(self, ns: Namespace) -> None:
        self.ns = ns
        self.values: Dict[int, Any] = {}
        self.static: Dict[int, bool] = {}

    def __call__(self, node: ast.expr) -> Any:
        value, static = self._eval(node)
        self.values[id(node)] = value
        self.static[id(node)] = static
        return value

    def value(self, node: ast.expr) -> Any:
        return self.values[id(node)]

    def _eval(self, node: ast.expr) -> tuple:
        if isinstance(node, Ref):
            return node.value.array, False
        if isinstance(node, ast.Constant):
            return node.value, True
        if isinstance(node, ast.Name):
            obj = self.ns.objects[node.id] if node.id in self.ns.objects else getattr(builtins, node.id)
            return obj, not isinstance(obj, np.ndarray)
        if isinstance(node, ast.Attribute):
            base = self(node.value)
            static = self.static[id(node.value)] or (node.attr in _STATIC_ATTRS and isinstance(node.value, Ref))
            return getattr(base, node.attr), static
        if isinstance(node, ast.BinOp):
            a, b = self(node.left), self(node.right)
            return _BIN[type(node.op)](a, b), self._all_static(node.left, node.right)
        if isinstance(node, ast.UnaryOp):
            return _UN[type(node.op)](self(node.operand)), self._all_static(node.operand)
        if isinstance(node, ast.Compare):
            left = self(node.left)
            result = True
            for op, right_node in zip(node.ops, node.comparators):
                right = self(right_node)
                result = _CMP[type(op)](left, right) if result is True else result & _CMP[type(op)](left, right)
                left = right
            return result, self._all_static(node.left, *node.comparators)
        if isinstance(node, ast.BoolOp):
            result = None
            for i, v in enumerate(node.values):
                result = self(v)
                if (isinstance(node.op, ast.And) and not result) or (isinstance(node.op, ast.Or) and result):
                    break
            return result, self._all_static(*node.values[:i + 1])
        if isinstance(node, ast.IfExp):
            test = self(node.test)
            branch = node.body if test else node.orelse
            return self(branch), self.static[id(node.test)] and self.static[id(branch)]
        if isinstance(node, ast.Tuple):
            return tuple(self(e) for e in node.elts), self._all_static(*node.elts)
        if isinstance(node, ast.List):
            return [self(e) for e in node.elts], self._all_static(*node.elts)
        if isinstance(node, ast.Slice):
            parts = [None if p is None else self(p) for p in (node.lower, node.upper, node.step)]
            return slice(*parts), self._all_static(*[p for p in (node.lower, node.upper, node.step) if p])
        if isinstance(node, ast.Subscript):
            return self(node.value)[self(node.slice)], self._all_static(node.value, node.slice)
        if isinstance(node, ast.Call):
            fn = self(node.func)
            args = [self(a) for a in node.args]
            kwargs = {k.arg: self(k.value) for k in node.keywords}
            static = self._all_static(node.func, *node.args, *[k.value for k in node.keywords])
            return fn(*args, **kwargs), static and not isinstance(fn, np.ufunc)
        raise TypeError(f"cannot evaluate {type(node).__name__}")

    def _all_static(self, *nodes: ast.expr) -> bool:
        return all(self.static[id(n)] for n in nodes)


class _Fold(ast.NodeTransformer):
    """Replace static sub-expressions whose value is a plain literal by that literal, and an `a if c else b`
    whose test is static by the branch taken."""

    def __init__(self, ev: Evaluator) -> None:
        self.ev = ev

    def visit(self, node: ast.AST) -> ast.AST:
        if isinstance(node, ast.expr) and id(node) in self.ev.static and self.ev.static[id(node)] \
                and not isinstance(node, (ast.Constant, ast.Name)):
            value = self.ev.values[id(node)]
            if _literal(value):
                new = _literal_node(value)
                self.ev.values[id(new)], self.ev.static[id(new)] = value, True
                return new
        if isinstance(node, ast.IfExp) and self.ev.static.get(id(node.test)):
            return self.visit(node.body if self.ev.values[id(node.test)] else node.orelse)
        return self.generic_visit(node)


def _literal(v: Any) -> bool:
    if v is None or type(v) in (bool, int, str):
        return True
    if type(v) is float:
        return math.isfinite(v)
    if type(v) is tuple:
        return all(_literal(x) for x in v)
    return False


def _literal_node(v: Any) -> ast.expr:
    if type(v) is tuple:
        return ast.Tuple([_literal_node(x) for x in v], ast.Load())
    return ast.Constant(v)


class _Slices(ast.NodeTransformer):
    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        self.generic_visit(node)
        node.slice = _slices(node.slice)
        return node


def _slices(node: ast.expr) -> ast.expr:
    if isinstance(node, ast.Tuple):
        return ast.Tuple([_slices(e) for e in node.elts], ast.Load())
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "slice" \
            and len(node.args) == 3 and not node.keywords:
        return ast.Slice(*[None if isinstance(a, ast.Constant) and a.value is None else a for a in node.args])
    return node


def readable_slices(expr: ast.expr) -> ast.expr:
    """`x[slice(None, None, None), t]` (how a traced index is written) as `x[:, t]`."""
    return _Slices().visit(expr)


def evaluate_and_fold(ev: Evaluator, expr: ast.expr) -> tuple:
    """(value, folded expression): the expression evaluated on the traced values, then its static parts
    folded into literals (and evaluated again, so that every node of the result has its value)."""
    ev(expr)
    folded = _Fold(ev).visit(expr)
    value = ev(folded)
    return value, folded
