"""numpy's functions on tensors: `np.exp(t)`, `np.sum(t, axis=0)`, `np.concatenate([a, t])`, `ndarray + t`.

A Tensor's `__array_ufunc__` and `__array_function__` (in tensor.py) send numpy's call here, and it runs
minigrad's function of the same meaning: recorded, differentiable, a Tensor out. The table is derived,
not written out: every public minigrad name (the ops modules' PUBLIC tables and the operators) that is
also a numpy name maps numpy's function to minigrad's, plus `NUMPY_NAMES` where numpy says it
differently (np.absolute is abs, np.true_divide is div). A query of the shape or dtype (np.shape,
np.ndim, ...) answers from the data. Anything else, a ufunc method (np.add.reduce, np.add.at), an
argument minigrad's function does not take (out=, dtype=, where=) or a numpy function minigrad does not
have, raises a TypeError naming it and pointing to `t.numpy()`, numpy's own array.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np

# numpy's name -> minigrad's public name, where they differ (numpy's aliases of one function are listed once)
NUMPY_NAMES = {
    "subtract": "sub", "multiply": "mul", "true_divide": "div", "power": "pow", "negative": "neg",
    "absolute": "abs", "less": "lt", "less_equal": "le", "greater": "gt", "greater_equal": "ge", "equal": "eq",
    "not_equal": "ne", "amax": "max", "amin": "min", "expand_dims": "unsqueeze", "permute_dims": "transpose",
}

# minigrad names that numpy uses for something else: F.identity is the activation x -> x, np.identity a matrix
NOT_NUMPY = frozenset(["identity"])

# numpy functions whose signature is minigrad's primitive rather than its public form
# (np.transpose(a, axes) against the method form t.transpose(*axes))
PRIMITIVE_FORMS = {"transpose": "transpose"}

# queries of shape and type: answered by numpy from the tensor's data (no graph, nothing to differentiate)
QUERIES = frozenset(getattr(np, name) for name in ("shape", "ndim", "size", "result_type", "iscomplexobj",
                                                   "isrealobj", "shares_memory", "may_share_memory")
                    if hasattr(np, name))

_table: Optional[Tuple[Dict[Any, Callable], Dict[Any, Callable]]] = None


def _ours() -> Dict[str, Callable]:
    """minigrad's public functions by name: the operators' ops, then every PUBLIC table's functions."""
    from . import functions, ops
    from .nn import functional
    found = {name: getattr(ops, name) for name in ("add", "sub", "mul", "div", "pow", "neg", "matmul", "lt", "le",
                                                   "gt", "ge", "eq", "ne", "logical_and", "logical_or",
                                                   "logical_xor", "logical_not")}
    found.update(ops.public("T"))
    found.update(functional.FORMS)
    found.update(functions.FORMS)  # the top-level forms: array-likes in, PyTorch's dim/keepdim accepted
    found.update({name: getattr(ops, op) for name, op in PRIMITIVE_FORMS.items()})
    return found


def tables() -> Tuple[Dict[Any, Callable], Dict[Any, Callable]]:
    """({numpy ufunc: minigrad function}, {numpy function: minigrad function}), built once on first use."""
    global _table
    if _table is None:
        ours = _ours()
        ufuncs: Dict[Any, Callable] = {}
        functions: Dict[Any, Callable] = {}
        pairs = [(name, name) for name in ours if name not in NOT_NUMPY] + list(NUMPY_NAMES.items())
        for np_name, our_name in pairs:
            theirs = getattr(np, np_name, None)
            if theirs is None or our_name not in ours or not callable(theirs):
                continue
            (ufuncs if isinstance(theirs, np.ufunc) else functions)[theirs] = ours[our_name]
        _table = ufuncs, functions
    return _table


def counterparts() -> Dict[str, str]:
    """{minigrad public name: numpy name} for every minigrad function that numpy's calls reach."""
    ours = _ours()
    by_function = {}
    for table in tables():
        for theirs, fn in table.items():
            for name, f in ours.items():
                if f is fn:
                    by_function.setdefault(name, theirs.__name__)
    return by_function


_NUMPY_ARRAY = "use t.numpy() for numpy's own array (not differentiable)"


def array_ufunc(ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict) -> Any:
    """`ufunc(*inputs)` with a Tensor among the inputs, as minigrad's op."""
    name = ufunc.__name__
    fn = tables()[0].get(ufunc)
    if method != "__call__":
        raise TypeError(f"np.{name}.{method} on a minigrad tensor: only plain calls of numpy's ufuncs such as "
                        f"np.{name}(t) dispatch to minigrad's ops; {_NUMPY_ARRAY}")
    if fn is None:
        raise TypeError(f"np.{name} on a minigrad tensor: minigrad has no such op; {_NUMPY_ARRAY}")
    if kwargs:
        raise TypeError(f"np.{name}(..., {', '.join(f'{k}=' for k in kwargs)}) on a minigrad tensor: minigrad's "
                        f"{fn.__name__} takes no such argument; {_NUMPY_ARRAY}")
    return fn(*inputs)


def array_function(func: Callable, args: tuple, kwargs: dict) -> Any:
    """numpy function `func(*args, **kwargs)` with a Tensor among the arguments, as minigrad's function."""
    if func in QUERIES:  # np.shape(t) and friends: on the data (minigrad's own code asks them too, so fast)
        return func(*[getattr(a, "_data", a) for a in args], **kwargs)
    name = func.__name__
    fn = tables()[1].get(func)
    if fn is None:
        raise TypeError(f"np.{name}() on a minigrad tensor: minigrad has no such function; {_NUMPY_ARRAY}")
    try:
        inspect.signature(fn).bind(*args, **kwargs)
    except TypeError as e:
        raise TypeError(f"np.{name}() on a minigrad tensor: minigrad's {fn.__name__}{inspect.signature(fn)} does "
                        f"not take these arguments ({e}); {_NUMPY_ARRAY}") from None
    return fn(*args, **kwargs)
