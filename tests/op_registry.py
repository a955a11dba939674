"""The op registry: one row per differentiable public op, driving every generic property test.

A row says how to call the op (`fn`, on Tensors), what it should compute (`ref`, on float64
ndarrays), and how to draw valid inputs: shapes, an element domain, kinks to stay away from,
extra non-differentiable arguments (targets, axes). Rows live in `rows_*.py` beside this file;
`ROWS` gathers them. Adding an op = one implementation + one row.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence, Tuple

import numpy as np
from hypothesis import assume, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from minigrad.testing import strategies

Shapes = Tuple[Tuple[int, ...], ...]


@dataclass(frozen=True)
class OpSpec:
    """How to test one op.

    name      public name (the completeness test matches it against the public namespaces)
    fn        fn(*tensors, **params) -> Tensor, the minigrad call under test
    ref       ref(*float64 arrays, **params) -> ndarray, an independent numpy reference
    arity     number of differentiable tensor inputs
    shapes    strategy drawing a tuple of `arity` shapes; default: mutually broadcastable shapes
    domain    (low, high) for every input's elements, or one pair per input
    kinks     points where the op is not differentiable; every element keeps `margin` away from them
    valid     optional predicate on the drawn float64 arrays (e.g. a != b for maximum)
    params    optional draw(shapes) strategy factory for keyword arguments (axis, keepdims, ...)
    extra     optional draw(shapes) strategy factory for non-differentiable trailing arguments
              (targets); returns a tuple of ndarrays passed after the tensors to fn and ref
    twice     twice differentiable on the domain (gradgradcheck applies)
    atol/rtol tolerances for gradcheck (eps its step); fwd_rtol for the forward comparison
    float32   whether the op keeps float32 (dtype test); False for ops defined only in float64
    elements  per-input element strategies, overriding domain/kinks (e.g. grids that cannot tie)
    unique    all elements of each input distinct (for ops that are not differentiable at ties)
    aliases   other public names of the same op (`cat` for concatenate), checked to be the same callable
    variant   a label for a second row of the same public op with other arguments (PyTorch's
              variant_test_name): `name` stays the public name, the row's id is `name.variant`
    error_inputs  ErrorCase(args, kwargs, error, match) instances: calling `fn(*args, **kwargs)` must
              raise `error` with a message matching the regex `match` (which should name the op)
    category  "core", "activation", "loss" or "layer": which family-specific tests apply
    finite_everywhere  (activations) output and gradient stay finite for every finite input
    extreme_params  (activations) keyword sets under which the stability tests call `fn`
    module    (activations, losses) (ModuleClass, constructor kwargs or None): the nn module that
              computes the same function, checked against it
    via_numpy False when `ref` is not numpy's own function of this name called on the inputs (an independent
              formula, or numpy-only arguments): the numpy-dispatch property (tests/test_interop.py) skips it
    compiles  False when `fn` turns an argument into Python data (tolist()): minigrad.compile cannot follow
              that (it refuses it only when a dtype conversion gives it away), so the compile test skips the row
    sample    a fixed small valid call: sample(rng) -> tuple of float64 arrays for `fn`'s positional
              arguments (tests that need one concrete example rather than hypothesis draws)
    max_examples  at most this many hypothesis examples per generic test for this row (None: the
              test's own number); for rows whose every example is costly, to keep the suite's time in check
    """

    name: str
    fn: Callable[..., Any]
    ref: Callable[..., np.ndarray]
    arity: int = 1
    shapes: Optional[st.SearchStrategy] = None
    domain: Any = (-3.0, 3.0)
    kinks: Sequence[float] = ()
    margin: float = 1e-2
    valid: Optional[Callable[..., bool]] = None
    params: Optional[Callable[[Shapes], st.SearchStrategy]] = None
    extra: Optional[Callable[[Shapes], st.SearchStrategy]] = None
    twice: bool = True
    atol: float = 1e-5
    rtol: float = 1e-3
    fwd_rtol: float = 1e-6
    float32: bool = True
    elements: Optional[Sequence[st.SearchStrategy]] = None
    unique: bool = False
    eps: float = 1e-6
    aliases: Tuple[str, ...] = ()
    variant: str = ""
    error_inputs: Sequence["ErrorCase"] = ()
    category: str = "core"
    finite_everywhere: bool = False
    extreme_params: Sequence[dict] = ({},)
    module: Optional[tuple] = None
    sample: Optional[Callable[[np.random.Generator], tuple]] = None
    compiles: bool = True
    via_numpy: bool = True
    max_examples: Optional[int] = None

    @property
    def id(self) -> str:
        return f"{self.name}.{self.variant}" if self.variant else self.name

    def __repr__(self) -> str:  # pytest ids
        return self.id


@dataclass(frozen=True)
class ErrorCase:
    """A bad call and what it must raise: `fn(*args, **kwargs)` raises `error` matching regex `match`."""

    args: tuple
    kwargs: Any = None
    error: type = ValueError
    match: str = ""


def row_examples(max_examples: Optional[int] = None) -> Callable:
    """Decorator for a generic test `test(spec, ..., data)` parametrized over the rows: runs it under hypothesis
    with `data=st.data()`, drawing `max_examples` examples (None: the profile's), or the row's own
    `spec.max_examples` when that is fewer. (A `@given` test has one settings for all its parameters.)"""
    def decorate(test: Callable) -> Callable:
        runners: dict = {}

        def run(spec: OpSpec, **kwargs: Any) -> None:
            n = settings.default.max_examples if max_examples is None else max_examples
            if spec.max_examples is not None:
                n = min(n, spec.max_examples)
            if n not in runners:
                runners[n] = settings(max_examples=n)(given(data=st.data())(test))
            runners[n](spec=spec, **kwargs)

        sig = inspect.signature(test)
        run.__signature__ = sig.replace(parameters=[p for p in sig.parameters.values() if p.name != "data"])
        run.__name__, run.__qualname__, run.__doc__ = test.__name__, test.__qualname__, test.__doc__
        run.__module__ = test.__module__
        return run
    return decorate


# --------------------------------------------------------------------------- shape strategies

def any_shape(min_dims: int = 0, max_dims: int = 3, max_side: int = 4) -> st.SearchStrategy:
    return strategies.shapes(min_dims=min_dims, max_dims=max_dims, max_side=max_side)


def broadcast_shapes(n: int, min_dims: int = 0, max_dims: int = 3, max_side: int = 4) -> st.SearchStrategy:
    """`n` mutually broadcastable shapes, including 0-d and size-1 axes."""
    return strategies.broadcastable_shapes(num_shapes=n, min_dims=min_dims, max_dims=max_dims, max_side=max_side)


def single(shape_strategy: st.SearchStrategy) -> st.SearchStrategy:
    return shape_strategy.map(lambda s: (s,))


def axis_params(shapes: Shapes, allow_tuple: bool = True) -> st.SearchStrategy:
    """axis (None, an int, a negative int or a tuple) and keepdims for a reduction over shapes[0]."""
    nd = len(shapes[0])
    choices = [st.none()]
    if nd:
        choices.append(st.integers(-nd, nd - 1))
        if allow_tuple:
            choices.append(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True).map(tuple))
    return st.fixed_dictionaries({"axis": st.one_of(*choices), "keepdims": st.booleans()})


# --------------------------------------------------------------------------- drawing inputs

def _element_strategy(low: float, high: float, kinks: Sequence[float], margin: float) -> st.SearchStrategy:
    s = st.floats(low, high, allow_nan=False, allow_infinity=False)
    if kinks:
        s = s.filter(lambda v: all(abs(v - k) > margin for k in kinks))
    return s


@st.composite
def op_inputs(draw: Any, spec: OpSpec) -> tuple:
    """Draw (arrays, extra, params) for `spec`: float64 arrays inside the domain, away from kinks."""
    shapes_strategy = spec.shapes
    if shapes_strategy is None:
        shapes_strategy = broadcast_shapes(spec.arity) if spec.arity > 1 else single(any_shape())
    shapes = draw(shapes_strategy)
    if spec.elements is not None:
        elements = list(spec.elements)
    else:
        domains = spec.domain if isinstance(spec.domain[0], (tuple, list)) else [spec.domain] * spec.arity
        elements = [_element_strategy(lo, hi, spec.kinks, spec.margin) for lo, hi in domains]
    arrays = tuple(draw(hnp.arrays(np.float64, s, elements=e, unique=spec.unique))
                   for s, e in zip(shapes, elements))
    if spec.valid is not None:
        assume(spec.valid(*arrays))
    extra = tuple(draw(spec.extra(shapes))) if spec.extra is not None else ()
    params = draw(spec.params(shapes)) if spec.params is not None else {}
    return arrays, extra, params


def _gather_rows() -> list:
    rows: list = []
    import rows_core
    rows += rows_core.ROWS
    for module in ("rows_activations", "rows_losses", "rows_conv", "rows_more"):
        try:
            mod = __import__(module)
        except ModuleNotFoundError as e:
            if e.name != module:
                raise
            continue
        rows += mod.ROWS
    names = [r.id for r in rows]
    duplicates = {n for n in names if names.count(n) > 1}
    assert not duplicates, f"registry rows with the same name: {sorted(duplicates)}"
    return rows


ROWS = _gather_rows()


def rows(category: str) -> list:
    """The rows of one family ("core", "activation", "loss", "layer")."""
    return [r for r in ROWS if r.category == category]
