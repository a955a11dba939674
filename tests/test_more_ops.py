"""The contract's "more functions" (issue 15): conventions and edge cases pinned by name.

The registry rows (tests/rows_more.py) check every op's values, gradients, second derivatives, dtypes and
errors on drawn inputs; this file pins what a drawn input rarely hits: zeros in products, ties in clip,
halves in round, diagonals and ellipses in einsum, repeated indices, and the choices made where numpy and
PyTorch differ. References are numpy, Python's math module or explicit loops; PyTorch where installed.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad.testing import gradcheck, gradgradcheck
from helpers import grad_of

NEW_FUNCTIONS = ("tan sinh cosh arcsin arccos arctan arctan2 log2 log10 log1p expm1 square reciprocal rsqrt erf "
                 "floor ceil round trunc prod cumsum cumprod einsum pad flip roll repeat tile tril triu split "
                 "take_along_axis any all").split()


def _t(values, **kw):
    return mg.tensor(np.asarray(values, dtype=np.float64), requires_grad=True, **kw)


@pytest.fixture
def strict():
    """Division by zero, overflow and invalid operations are errors: the rules below must not divide by zero
    or overflow (underflow, a result rounding to a subnormal or 0, is the correct answer and allowed)."""
    with np.errstate(divide="raise", over="raise", invalid="raise"):
        yield


# --------------------------------------------------------------------------- the public surface

@pytest.mark.parametrize("name", NEW_FUNCTIONS)
def test_every_new_function_is_top_level_with_a_one_line_docstring(name):
    fn = getattr(mg, name)
    assert fn.__doc__ and fn.__doc__.strip().splitlines()[0], f"{name} has no docstring"
    assert len(fn.__doc__.strip().splitlines()[0]) <= 120, f"{name}: the first docstring line is not one line"


def test_methods_where_numpy_and_pytorch_agree_and_none_where_they_differ():
    t = mg.tensor([[1.0, -2.0], [3.0, 4.0]])
    for name in "sinh arcsin log1p square rsqrt erf floor round prod cumsum cumprod any all flip roll tile tril".split():
        assert callable(getattr(t, name)), name
    # Tensor.repeat and Tensor.split mean different things in numpy (repeat each element; N sections) and
    # PyTorch (tile; sections of size N), and F.pad takes PyTorch's reversed pair order: these are only
    # top-level functions, with numpy's meaning, so no spelling silently does the other library's thing.
    for name in ("repeat", "split", "pad", "einsum", "take_along_axis"):
        assert not hasattr(t, name), name
        assert not hasattr(mg.nn.functional, name), name


# --------------------------------------------------------------------------- elementwise

def test_round_is_half_to_even_with_zero_derivative():
    x = _t([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 0.49999999999999994])
    y = mg.round(x)
    np.testing.assert_array_equal(y.data, [-2.0, -2.0, -0.0, 0.0, 2.0, 2.0, 4.0, 0.0])
    y.backward(np.ones(y.shape))
    np.testing.assert_array_equal(x.grad.data, np.zeros(8))


@pytest.mark.parametrize("name, expected", [("floor", [-2.0, -1.0, 0.0, 1.0, 2.0]), ("ceil", [-1.0, -1.0, 0.0, 1.0, 3.0]),
                                            ("trunc", [-1.0, -1.0, 0.0, 1.0, 2.0])])
def test_floor_ceil_trunc_have_zero_derivative_even_at_integers(name, expected):
    x = _t([-1.5, -1.0, 0.0, 1.0, 2.5])
    y = getattr(mg, name)(x)
    np.testing.assert_array_equal(y.data, expected)
    (d,) = mg.grad(y.sum(), x)
    np.testing.assert_array_equal(d.data, np.zeros(5))


def test_integer_inputs_keep_numpy_dtypes_and_reciprocal_is_not_integer_division():
    ints = mg.tensor([1, 2, 4])
    assert mg.floor(ints).dtype == np.int64 and mg.round(ints).dtype == np.int64
    np.testing.assert_array_equal(mg.reciprocal(ints).data, [1.0, 0.5, 0.25])
    np.testing.assert_array_equal(mg.rsqrt(ints).data, [1.0, 1 / math.sqrt(2), 0.5])


def test_erf_matches_math_erf_to_float64_precision_and_keeps_float32():
    x = np.concatenate([np.linspace(-7, 7, 1401), [0.0, 1e-300, -1e-10, 0.46875, 0.46876, 4.0, 4.0001, 26.9, 27.1, 1e10]])
    ref = np.array([math.erf(v) for v in x])
    got = mg.erf(mg.tensor(x)).data
    assert np.max(np.abs(got - ref)) <= 2.3e-16
    tiny = np.abs(x) < 1e-5
    np.testing.assert_allclose(got[tiny], ref[tiny], rtol=2e-16, atol=0)  # relative accuracy near 0
    assert mg.erf(mg.tensor([0.5], dtype=np.float32)).dtype == np.float32
    np.testing.assert_array_equal(mg.erf(mg.tensor([np.inf, -np.inf, np.nan])).data, [1.0, -1.0, np.nan])


def test_erf_gradient_is_two_over_root_pi_times_gaussian_and_vanishes_far_out(strict):
    x = _t([0.0, 1.0, -2.0, 40.0, -1e200])
    expected = 2 / math.sqrt(math.pi) * np.exp(-np.minimum(np.abs(x.data), 30) ** 2)
    np.testing.assert_allclose(grad_of(mg.erf, x)[0], expected, rtol=1e-15)


def test_log1p_and_expm1_are_accurate_for_tiny_x_and_their_rules_are_stable(strict):
    x = _t([1e-20, -1e-17, 1e-300])
    np.testing.assert_array_equal(mg.log1p(x).data, x.data)
    np.testing.assert_array_equal(mg.expm1(x).data, x.data)
    np.testing.assert_allclose(grad_of(mg.log1p, x)[0], 1 / (1 + x.data))
    x = _t([-50.0, 0.0, 3.0])
    np.testing.assert_allclose(grad_of(mg.expm1, x)[0], np.exp(x.data), rtol=1e-15)  # e^x, not y + 1 = 0 at −50


def test_arctan2_partials_in_every_quadrant():
    a, b = np.meshgrid([-2.0, -0.5, 0.5, 2.0], [-1.5, -0.25, 0.25, 1.5])
    ta, tb = _t(a), _t(b)
    np.testing.assert_allclose(mg.arctan2(ta, tb).data, np.arctan2(a, b))
    ga, gb = grad_of(mg.arctan2, ta, tb)
    r2 = a * a + b * b
    np.testing.assert_allclose(ga, b / r2, rtol=1e-14)
    np.testing.assert_allclose(gb, -a / r2, rtol=1e-14)


def test_arcsin_arccos_rules_stay_accurate_next_to_the_domain_edges():
    x = _t([-1 + 1e-12, 1 - 1e-12, 0.999999])
    ref = 1 / np.sqrt((1 - x.data) * (1 + x.data))
    np.testing.assert_allclose(grad_of(mg.arcsin, x)[0], ref, rtol=1e-14)
    x.grad = None
    np.testing.assert_allclose(grad_of(mg.arccos, x)[0], -ref, rtol=1e-14)


# --------------------------------------------------------------------------- clip with tensor bounds

# (x, min, max) -> value, then the gradients to x, min and max: torch.clamp's convention, ties included
CLIP_TIES = [
    ((0.0, 0.0, 1.0), 0.0, (1.0, 0.0, 0.0)),  # x == min: the gradient goes to x (boundaries included)
    ((1.0, 0.0, 1.0), 1.0, (1.0, 0.0, 0.0)),  # x == max: to x
    ((-1.0, 0.0, 1.0), 0.0, (0.0, 1.0, 0.0)),  # below: to min
    ((2.0, 0.0, 1.0), 1.0, (0.0, 0.0, 1.0)),  # above: to max
    ((0.0, 0.0, 0.0), 0.0, (1.0, 0.0, 0.0)),  # x == min == max: to x
    ((-1.0, 0.0, 0.0), 0.0, (0.0, 0.0, 0.0)),  # x < min == max: to nobody (torch's convention, kept)
    ((2.0, 0.0, 0.0), 0.0, (0.0, 0.0, 1.0)),  # x > min == max: to max
    ((0.5, 1.0, 0.0), 0.0, (0.0, 0.0, 1.0)),  # min > max: the result is max, and so is the gradient's target
    ((-3.0, 1.0, 0.0), 0.0, (0.0, 0.0, 1.0)),
]


@pytest.mark.parametrize("inputs, value, grads", CLIP_TIES, ids=[str(c[0]) for c in CLIP_TIES])
def test_clip_tensor_bounds_follow_torch_clamp_at_ties(inputs, value, grads):
    x, lo, hi = (_t(v) for v in inputs)
    y = mg.clip(x, lo, hi)
    assert y.item() == value
    y.backward()
    assert (x.grad.item(), lo.grad.item(), hi.grad.item()) == grads


def test_clip_tensor_min_or_max_alone_at_ties():
    x, lo = _t([0.0, -1.0, 1.0]), _t([0.0, 0.0, 0.0])
    gx, glo = grad_of(lambda x, lo: mg.clip(x, min=lo), x, lo)
    np.testing.assert_array_equal(gx, [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(glo, [0.0, 1.0, 0.0])
    x, hi = _t([0.0, -1.0, 1.0]), _t([0.0, 0.0, 0.0])
    gx, ghi = grad_of(lambda x, hi: x.clamp(max=hi), x, hi)
    np.testing.assert_array_equal(gx, [1.0, 1.0, 0.0])
    np.testing.assert_array_equal(ghi, [0.0, 0.0, 1.0])


def test_clip_bounds_broadcast_and_their_gradients_sum_back():
    x = _t(np.arange(-3.0, 3.0).reshape(2, 3))
    lo, hi = _t([[-1.0], [0.5]]), _t([1.0, 2.0, 0.0])
    y = mg.clip(x, lo, hi)
    np.testing.assert_array_equal(y.data, np.clip(x.data, lo.data, hi.data))
    y.backward(np.ones((2, 3)))
    assert lo.grad.shape == (2, 1) and hi.grad.shape == (3,)
    # row 0: x = -3, -2 below min = -1, x = -1 on it; row 1: x = 0 below min = 0.5, x = 1 inside, and
    # min = 0.5 > max = 0 in the last column, where the result and the gradient are max's
    np.testing.assert_array_equal(lo.grad.data, [[2.0], [1.0]])
    np.testing.assert_array_equal(hi.grad.data, [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(x.grad.data, [[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])


def test_clip_array_bounds_are_constants_and_scalar_bounds_still_work():
    x = _t([-2.0, 0.0, 2.0])
    y = mg.clip(x, np.array([-1.0, -1.0, -1.0]), [1.0, 1.0, 3.0])
    np.testing.assert_array_equal(y.data, [-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(grad_of(lambda x: mg.clip(x, -1.0, 1.0), x)[0], [0.0, 1.0, 0.0])
    assert mg.clip(mg.tensor([1, 5, 9]), mg.tensor([2, 2, 2]), None).dtype == np.int64  # an absent bound keeps ints
    with pytest.raises(ValueError, match="clip: at least one"):
        mg.clip(x)


# --------------------------------------------------------------------------- products and cumulative ops

def _others_product(v):
    return np.array([np.prod(np.delete(v, i)) for i in range(len(v))])


@pytest.mark.parametrize("values", [[2.0, 3.0, 4.0], [2.0, 0.0, 4.0], [0.0, 3.0, 0.0], [0.0, 0.0, 0.0], [5.0]],
                         ids=["no_zero", "one_zero", "two_zeros", "all_zeros", "one_element"])
def test_prod_gradient_is_the_product_of_the_others_without_dividing(values, strict):
    x = _t(values)
    (g,) = grad_of(mg.prod, x)
    np.testing.assert_array_equal(g, _others_product(np.array(values)))  # one zero: the others; two: 0
    assert gradgradcheck(mg.prod, [_t(values)])


def test_prod_over_axes_with_zeros_matches_loops(strict):
    x = np.array([[[0.0, 2.0], [3.0, 0.0]], [[1.5, -1.0], [0.0, 0.0]]])
    t = _t(x)
    (g,) = grad_of(lambda t: mg.prod(t, axis=(0, 2)), t)
    expected = np.zeros_like(x)
    for j in range(2):
        block = x[:, j, :].reshape(-1)
        expected[:, j, :] = _others_product(block).reshape(2, 2)
    np.testing.assert_array_equal(g, expected)


def _cumprod_grad_by_loops(x, g):
    """∂/∂x_i Σ_k g_k·Π_{j<=k} x_j = Σ_{k>=i} g_k·Π_{j<=k, j≠i} x_j, term by term."""
    n = len(x)
    return np.array([sum(g[k] * np.prod([x[j] for j in range(k + 1) if j != i]) for k in range(i, n))
                     for i in range(n)])


@pytest.mark.parametrize("values", [[2.0, -0.5, 3.0, 1.5], [2.0, 0.0, 3.0, 1.5], [0.0, 2.0, 0.0, 4.0],
                                    [1.0, 2.0, 3.0, 0.0], [0.0], [1e-200, 1e-200, 1e200, 3.0]],
                         ids=["no_zero", "one_zero", "two_zeros", "last_zero", "only_zero", "underflowing_product"])
def test_cumprod_gradient_is_exact_at_zeros(values, strict):
    x, g = np.array(values), np.array([0.3, -1.2, 0.7, 2.0])[:len(values)]
    (got,) = grad_of(mg.cumprod, _t(values), upstream=g)
    np.testing.assert_allclose(got, _cumprod_grad_by_loops(x, g), rtol=1e-14, atol=0)
    assert gradcheck(mg.cumprod, [_t(values)]) if max(np.abs(values)) < 10 else True
    assert gradgradcheck(mg.cumprod, [_t(values)]) if max(np.abs(values)) < 10 else True


def test_cumprod_second_derivative_is_accurate_for_tiny_values():
    # Σ g·y/x would cancel terms of size 1e38 here; the division-free scan gives the exact mixed partial g_1
    x = _t([1.17549435e-38, 1.17549435e-38])
    g = np.array([0.5, -0.8])
    (gx,) = mg.grad(mg.cumprod(x), x, g, create_graph=True)
    (h,) = mg.grad(gx, x, np.array([0.0, 1.0]))
    np.testing.assert_allclose(h.data, [-0.8, 0.0], rtol=1e-15)


@pytest.mark.parametrize("n", [1, 2, 3, 7, 8, 9, 33])
def test_cumprod_gradient_for_every_scan_length(n):
    x = np.random.default_rng(n).uniform(-1.5, 1.5, (2, n))
    x[1, n // 2] = 0.0
    g = np.random.default_rng(n + 1).uniform(-1, 1, (2, n))
    (got,) = grad_of(lambda t: mg.cumprod(t, axis=1), _t(x), upstream=g)
    expected = np.stack([_cumprod_grad_by_loops(x[r], g[r]) for r in range(2)])
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


def test_cumsum_and_cumprod_flatten_when_axis_is_none_as_numpy():
    x = np.arange(1.0, 7.0).reshape(2, 3)
    for ours, ref in ((mg.cumsum, np.cumsum), (mg.cumprod, np.cumprod)):
        t = _t(x)
        y = ours(t)
        np.testing.assert_array_equal(y.data, ref(x))
        assert y.shape == (6,)
        y.backward(np.ones(6))
        assert t.grad.shape == (2, 3)
    np.testing.assert_array_equal(mg.cumsum(_t(x), dim=1).data, np.cumsum(x, axis=1))  # PyTorch's dim


def test_cumsum_gradient_is_the_reversed_cumulative_sum():
    g = np.array([1.0, 2.0, 3.0, 4.0])
    (got,) = grad_of(mg.cumsum, _t([5.0, 6.0, 7.0, 8.0]), upstream=g)
    np.testing.assert_array_equal(got, [10.0, 9.0, 7.0, 4.0])


def test_prod_and_cumulative_ops_of_integers_stay_integers_and_are_not_recorded():
    t = mg.tensor([[1, 2], [3, 4]])
    assert mg.prod(t).item() == 24 and mg.prod(t).dtype == np.int64
    np.testing.assert_array_equal(mg.cumsum(mg.tensor([True, False, True])).data, [1, 1, 2])


def test_reductions_of_a_0d_tensor_over_its_only_axis():
    x = _t(3.0)
    for axis in (0, -1, (0,)):
        assert mg.prod(x, axis=axis).item() == 3.0
        assert mg.all(x, axis=axis).item() is True
    np.testing.assert_array_equal(mg.cumsum(x, axis=0).data, [3.0])  # numpy: a 0-d cumsum is 1-d


def test_any_and_all_are_bool_and_never_recorded():
    x = _t([[0.0, 1.0], [0.0, 0.0]])
    for fn, ref in ((mg.any, np.any), (mg.all, np.all)):
        for axis, keepdims in itertools.product((None, 0, 1, -1, (0, 1)), (False, True)):
            out = fn(x, axis=axis, keepdims=keepdims)
            np.testing.assert_array_equal(out.data, ref(x.data, axis=axis, keepdims=keepdims))
            assert out.dtype == np.bool_ and not out.requires_grad and out.grad_fn is None
    assert x.any().item() is True and x.all().item() is False
    with pytest.raises(IndexError, match="any: axis 2 is out of range"):
        x.any(axis=2)


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_argmax_argmin_keepdims_as_numpy(axis, keepdims):
    x = np.array([[3.0, 1.0, 4.0], [1.0, 5.0, 9.0]])
    for ours, ref in ((mg.argmax, np.argmax), (mg.argmin, np.argmin)):
        out = ours(_t(x), axis=axis, keepdims=keepdims)
        expected = ref(x, axis=axis, keepdims=keepdims)
        assert out.shape == np.shape(expected) and out.dtype == np.int64 and out.grad_fn is None
        np.testing.assert_array_equal(out.data, expected)
    assert _t(x).argmax(dim=1, keepdim=True).shape == (2, 1)


def test_argmax_errors_name_the_op():
    with pytest.raises(IndexError, match="argmax: axis 2 is out of range"):
        mg.argmax(_t([[1.0]]), axis=2)
    with pytest.raises(ValueError, match="argmin: cannot take the argmin of zero elements"):
        mg.argmin(mg.zeros(0))


# --------------------------------------------------------------------------- einsum

EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("i,i->", [(3,), (3,)]), ("i,j->ij", [(2,), (3,)]),
    ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("ij->", [(2, 3)]), ("ij->ji", [(2, 3)]), ("ijk->j", [(2, 3, 4)]),
    ("iij->ji", [(2, 2, 3)]), ("iji->j", [(2, 3, 2)]), ("iii->i", [(2, 2, 2)]),
    ("...ij,...jk->...ik", [(5, 2, 3), (3, 4)]), ("...ij,...jk", [(2, 1, 2, 3), (3, 3, 4)]),
    ("...i,...i->...", [(3, 4), (1, 4)]), ("i...->...i", [(2, 3, 4)]), ("...", [(2, 3)]), ("...ii->...i", [(4, 3, 3)]),
    ("ai,ai->a", [(3, 4), (1, 4)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]), ("iik,kj,l->j", [(2, 2, 3), (3, 4), (5,)]),
    ("i,i,i->", [(3,), (3,), (3,)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]), ("Ab,bC->AC", [(2, 3), (3, 2)]),
    ("Ba", [(2, 3)]), ("ii,i->i", [(3, 3), (3,)]), (" ij , jk -> ik ", [(2, 3), (3, 4)]), ("i,->i", [(3,), ()]),
    ("->", [()]), ("ij,kl->", [(2, 3), (4, 5)]),
]


@pytest.mark.parametrize("subscripts, shapes", EINSUM_CASES, ids=[c[0].replace(" ", "_") for c in EINSUM_CASES])
def test_einsum_values_and_derivatives(subscripts, shapes):
    rng = np.random.default_rng(len(subscripts))
    arrays = [rng.standard_normal(s) for s in shapes]
    ts = [_t(a) for a in arrays]
    np.testing.assert_allclose(mg.einsum(subscripts, *ts).data, np.einsum(subscripts, *arrays), atol=1e-12)
    assert gradcheck(lambda *t: mg.einsum(subscripts, *t), ts)
    assert gradgradcheck(lambda *t: mg.einsum(subscripts, *t), ts)


def test_einsum_gradient_of_an_index_only_one_operand_has_is_broadcast():
    a, b = _t(np.arange(6.0).reshape(2, 3)), _t([1.0, 2.0])
    ga, gb = grad_of(lambda a, b: mg.einsum("ij,k->i", a, b), a, b)  # j summed in a alone, k in b alone
    np.testing.assert_array_equal(ga, np.full((2, 3), 3.0))
    np.testing.assert_array_equal(gb, np.full(2, 15.0))


def test_einsum_diagonal_gradient_lands_on_the_diagonal_only():
    (g,) = grad_of(lambda m: mg.einsum("ii->", m), _t(np.ones((3, 3))))
    np.testing.assert_array_equal(g, np.eye(3))


def test_einsum_takes_array_likes_and_the_same_tensor_twice():
    out = mg.einsum("i,i", [1.0, 2.0], np.array([3.0, 4.0]))
    assert isinstance(out, mg.Tensor) and out.item() == 11.0
    x = _t([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(grad_of(lambda x: mg.einsum("i,i->", x, x), x)[0], 2 * x.data)


@pytest.mark.parametrize("subscripts, shapes, error, match", [
    ("ij,jk->ik", [(2, 3), (4, 4)], ValueError, r"index 'j' has size 3 in operand 0 and 4 in operand 1"),
    ("ij,jk", [(2, 3)], ValueError, "name 2 operands but 1 were given"),
    ("ij->k", [(2, 3)], ValueError, "output index 'k' does not appear"),
    ("ij->ii", [(2, 3)], ValueError, "repeat an index"),
    ("i1", [(2,)], ValueError, "'1' is not a letter"),
    ("ii", [(2, 3)], ValueError, "index 'i' of operand 0 has sizes 2 and 3"),
    ("ijk", [(2, 3)], ValueError, "operand 0 has shape"),
    ("...i->i", [(2, 3)], ValueError, "needs '...'"),
    (3, [(2,)], TypeError, "subscripts must be a string"),
])
def test_einsum_errors_name_the_op_and_the_problem(subscripts, shapes, error, match):
    with pytest.raises(error, match="einsum: .*" + match):
        mg.einsum(subscripts, *[mg.ones(*s) for s in shapes])


# --------------------------------------------------------------------------- shape functions

@pytest.mark.parametrize("pad_width", [1, (1,), (2, 0), ((1, 2),), ((0, 1), (2, 0)), np.array([[1, 0], [0, 2]])])
def test_pad_accepts_numpys_pad_width_forms(pad_width):
    x = np.arange(6.0).reshape(2, 3)
    t = _t(x)
    y = mg.pad(t, pad_width, value=-1.0)
    np.testing.assert_array_equal(y.data, np.pad(x, pad_width, constant_values=-1.0))
    y.backward(np.arange(y.size, dtype=np.float64).reshape(y.shape))
    widths = np.broadcast_to(np.asarray(pad_width), (2, 2))
    inner = tuple(slice(b, b + n) for (b, _), n in zip(widths, x.shape))
    np.testing.assert_array_equal(t.grad.data, np.arange(y.size, dtype=np.float64).reshape(y.shape)[inner])


def test_pad_never_truncates_the_value_into_an_integer_tensor():
    np.testing.assert_array_equal(mg.pad(mg.tensor([1, 2]), 1, value=7).data, [7, 1, 2, 7])
    with pytest.raises(TypeError, match="pad: value 0.5 cannot be stored in a int64 tensor"):
        mg.pad(mg.tensor([1, 2]), 1, value=0.5)


def test_flip_roll_tril_triu_are_their_own_adjoints():
    x = np.arange(12.0).reshape(3, 4)
    g = np.random.default_rng(0).standard_normal((3, 4))
    for f, adjoint in ((lambda t: mg.flip(t, 1), lambda g: np.flip(g, 1)),
                       (lambda t: mg.flip(t), lambda g: np.flip(g)),
                       (lambda t: mg.roll(t, 5), lambda g: np.roll(g, -5)),
                       (lambda t: mg.roll(t, (1, -2), axis=(0, 1)), lambda g: np.roll(g, (-1, 2), axis=(0, 1))),
                       (lambda t: mg.tril(t, -1), lambda g: np.tril(g, -1)),
                       (lambda t: t.triu(1), lambda g: np.triu(g, 1))):
        (got,) = grad_of(f, _t(x), upstream=g)
        np.testing.assert_array_equal(got, adjoint(g))


def test_repeat_gradient_sums_the_copies():
    x = _t([[1.0, 2.0], [3.0, 4.0]])
    y = mg.repeat(x, [3, 0], axis=1)
    np.testing.assert_array_equal(y.data, [[1.0, 1.0, 1.0], [3.0, 3.0, 3.0]])
    y.backward(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(x.grad.data, [[3.0, 0.0], [12.0, 0.0]])
    x.grad = None
    mg.repeat(x, 2).backward(np.arange(8.0))  # axis None: the flattened tensor
    np.testing.assert_array_equal(x.grad.data, [[1.0, 5.0], [9.0, 13.0]])


def test_tile_gradient_sums_the_blocks():
    x = _t([1.0, 2.0])
    y = mg.tile(x, (2, 2))
    np.testing.assert_array_equal(y.data, np.tile([1.0, 2.0], (2, 2)))
    y.backward(np.ones((2, 4)))
    np.testing.assert_array_equal(x.grad.data, [4.0, 4.0])


def test_split_returns_slices_that_carry_gradients_back():
    x = _t(np.arange(6.0))
    parts = mg.split(x, 3)
    assert isinstance(parts, list) and [p.shape for p in parts] == [(2,), (2,), (2,)]
    assert all(isinstance(p, mg.Tensor) and p.grad_fn is not None for p in parts)
    (parts[0] * 1.0 + parts[2] * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0, 0.0, 0.0, 2.0, 2.0])
    assert [p.shape for p in mg.split(mg.ones(3, 5), [1, 4], axis=1)] == [(3, 1), (3, 3), (3, 1)]
    with pytest.raises(ValueError, match="split: axis 0 of size 6 does not divide into 4 equal sections"):
        mg.split(x, 4)


def test_take_along_axis_repeated_indices_accumulate():
    x = _t([[10.0, 20.0, 30.0], [40.0, 50.0, 60.0]])
    idx = np.array([[2, 2, 0, 2], [1, -1, 1, 1]])
    y = mg.take_along_axis(x, idx, axis=1)
    np.testing.assert_array_equal(y.data, np.take_along_axis(x.data, idx, axis=1))
    y.backward(np.ones((2, 4)))
    np.testing.assert_array_equal(x.grad.data, [[1.0, 0.0, 3.0], [0.0, 3.0, 1.0]])
    np.testing.assert_array_equal(mg.take_along_axis(x, mg.tensor([5, 0]), None).data, [60.0, 10.0])


# --------------------------------------------------------------------------- against PyTorch

def _torch_grads(torch, f, arrays, upstream):
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out = f(*ts)
    out.backward(torch.tensor(upstream, dtype=torch.float64))
    return out.detach().numpy(), [t.grad.numpy() for t in ts]


@pytest.mark.parametrize("case", ["prod_zeros", "prod_axis_zeros", "cumprod_zeros", "cumprod_axis0", "einsum_matmul",
                                  "einsum_batch", "einsum_trace", "einsum_three", "clip_tensor"])
def test_values_and_gradients_match_pytorch(case):
    torch = pytest.importorskip("torch")
    x = np.array([[0.0, 2.0, -1.5, 0.5], [3.0, 0.0, 0.0, -2.0], [1.0, 2.0, 3.0, 0.5]])
    rng = np.random.default_rng(7)
    cases = {
        "prod_zeros": (lambda t: mg.prod(t), lambda t: torch.prod(t), [x]),
        "prod_axis_zeros": (lambda t: mg.prod(t, axis=1), lambda t: torch.prod(t, dim=1), [x]),
        "cumprod_zeros": (lambda t: mg.cumprod(t, axis=1), lambda t: torch.cumprod(t, dim=1), [x]),
        "cumprod_axis0": (lambda t: mg.cumprod(t, axis=0), lambda t: torch.cumprod(t, dim=0), [x]),
        "einsum_matmul": (lambda a, b: mg.einsum("ij,jk->ik", a, b), lambda a, b: torch.einsum("ij,jk->ik", a, b),
                          [x, rng.standard_normal((4, 2))]),
        "einsum_batch": (lambda a, b: mg.einsum("...ij,...jk", a, b), lambda a, b: torch.einsum("...ij,...jk", a, b),
                         [rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 5))]),
        "einsum_trace": (lambda a: mg.einsum("ii->i", a), lambda a: torch.einsum("ii->i", a), [rng.standard_normal((3, 3))]),
        "einsum_three": (lambda a, b, c: mg.einsum("ij,jk,k->i", a, b, c), lambda a, b, c: torch.einsum("ij,jk,k->i", a, b, c),
                         [x, rng.standard_normal((4, 2)), rng.standard_normal(2)]),
        "clip_tensor": (lambda a, lo, hi: mg.clip(a, lo, hi), lambda a, lo, hi: torch.clamp(a, lo, hi),
                        [x, np.array([0.0, 0.0, -1.0, 1.0]), np.array([[0.0], [2.0], [0.25]])]),
    }
    ours, theirs, arrays = cases[case]
    ts = [_t(a) for a in arrays]
    out = ours(*ts)
    upstream = rng.uniform(-1, 1, out.shape)
    out.backward(upstream)
    value, grads = _torch_grads(torch, theirs, arrays, upstream)
    np.testing.assert_allclose(out.data, value, rtol=1e-13, atol=1e-15)
    for t, g in zip(ts, grads):
        np.testing.assert_allclose(t.grad.data, g, rtol=1e-12, atol=1e-14)
