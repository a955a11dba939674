"""Forward mode for every op in the registry: no JVP rule is written anywhere (minigrad.func.jvp
differentiates the reverse-mode rules, the double-VJP trick), so these properties check that every
op's VJP rule is itself differentiable in its cotangent and that the two modes tell the same story:

- the JVP along a random tangent matches central differences (check_grads, order 1, forward mode);
- <u, J v> = <J^T u, v> for random u and v: forward and reverse mode agree to rounding.
"""
import numpy as np
import pytest
from hypothesis import strategies as st

import minigrad as mg
from minigrad import func
from minigrad.testing import check_grads
from op_registry import ROWS, op_inputs, row_examples

ALL = pytest.mark.parametrize("spec", ROWS, ids=[r.name for r in ROWS])


def _bound(spec, extra, params):
    """The row's op as a function of its differentiable tensors only."""
    return lambda *tensors: spec.fn(*tensors, *extra, **params)


@ALL
@row_examples()
def test_jvp_matches_central_differences(spec, data):
    arrays, extra, params = data.draw(op_inputs(spec))
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    assert check_grads(_bound(spec, extra, params), arrays, order=1, modes=("fwd",), eps=spec.eps,
                       atol=spec.atol, rtol=spec.rtol, seed=seed)


@ALL
@row_examples()
def test_forward_and_reverse_mode_agree(spec, data):
    arrays, extra, params = data.draw(op_inputs(spec))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    f = _bound(spec, extra, params)
    xs = [mg.tensor(a) for a in arrays]
    vs = [rng.standard_normal(a.shape) for a in arrays]
    out, jv = func.jvp(f, xs, vs)
    assert jv.shape == out.shape and jv.dtype == out.dtype, f"{spec.name}: tangent {jv.dtype}{jv.shape} " \
                                                            f"for output {out.dtype}{out.shape}"
    u = rng.standard_normal(out.shape)
    _, pullback = func.vjp(f, *xs)
    cts = pullback(u)
    forward = np.sum(u * jv.data)
    reverse = sum(np.sum(c.data * v) for c, v in zip(cts, vs))
    scale = np.sum(np.abs(u * jv.data)) + sum(np.sum(np.abs(c.data * v)) for c, v in zip(cts, vs))
    assert abs(forward - reverse) <= 1e-12 + 1e-10 * scale, \
        f"{spec.name}: <u, J v> = {forward!r} from forward mode, <J^T u, v> = {reverse!r} from reverse mode"
