"""nn.utils.clip_grad_norm_ and clip_grad_value_: values by hand and against PyTorch, in place, errors."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn.utils import clip_grad_norm_, clip_grad_value_


def params_with_grads(grads, dtype=np.float64):
    """Parameters whose .grad are the given arrays (None for no gradient)."""
    out = []
    for g in grads:
        p = nn.Parameter(np.zeros(np.shape(g) if g is not None else 1, dtype=dtype))
        p.grad = None if g is None else mg.tensor(np.asarray(g, dtype=dtype))
        out.append(p)
    return out


# --------------------------------------------------------------------- clip_grad_norm_
def test_clip_grad_norm_scales_every_gradient_by_one_factor():
    ps = params_with_grads([[3.0, 0.0], [[4.0]]])
    total = clip_grad_norm_(ps, max_norm=1.0)
    assert isinstance(total, mg.Tensor) and total.shape == () and total.item() == 5.0
    coef = 1.0 / (5.0 + 1e-6)
    np.testing.assert_allclose(ps[0].grad.data, [3.0 * coef, 0.0], rtol=1e-15)
    np.testing.assert_allclose(ps[1].grad.data, [[4.0 * coef]], rtol=1e-15)


def test_clip_grad_norm_leaves_small_gradients_alone():
    ps = params_with_grads([[0.3, -0.4]])
    total = clip_grad_norm_(ps, max_norm=1.0)
    assert total.item() == pytest.approx(0.5)
    np.testing.assert_array_equal(ps[0].grad.data, [0.3, -0.4])


@pytest.mark.parametrize("norm_type, expected", [
    (1, 3 + 4 + 12), (2.0, 13.0), (math.inf, 12.0), (float("inf"), 12.0), (3, (27 + 64 + 1728) ** (1 / 3)),
])
def test_clip_grad_norm_norm_types(norm_type, expected):
    ps = params_with_grads([[3.0, -4.0], [12.0]])
    total = clip_grad_norm_(ps, max_norm=0.5, norm_type=norm_type)
    assert total.item() == pytest.approx(expected, rel=1e-14)
    scale = 0.5 / (expected + 1e-6)
    np.testing.assert_allclose(ps[0].grad.data, [3.0 * scale, -4.0 * scale], rtol=1e-14)


def test_clip_grad_norm_in_place_same_objects_and_skips_missing_grads():
    ps = params_with_grads([[3.0, 4.0], None, [0.0]])
    grad, arr = ps[0].grad, ps[0].grad.data
    clip_grad_norm_(iter(ps), 1.0)  # any iterable, e.g. model.parameters()
    assert ps[0].grad is grad and ps[0].grad.data is arr and ps[1].grad is None
    np.testing.assert_allclose(arr, [0.6, 0.8], rtol=1e-6)


def test_clip_grad_norm_single_tensor_dtype_and_no_grads():
    p = nn.Parameter(np.array([6.0, 8.0], dtype=np.float32))
    p.grad = mg.tensor(np.array([6.0, 8.0], dtype=np.float32))
    total = clip_grad_norm_(p, 5.0)
    assert total.dtype == np.float32 and total.item() == 10.0 and p.grad.dtype == np.float32
    np.testing.assert_allclose(p.grad.data, [3.0, 4.0], rtol=1e-6)
    none = clip_grad_norm_(params_with_grads([None, None]), 1.0)
    assert none.item() == 0.0 and none.dtype == mg.get_default_dtype()


def test_clip_grad_norm_on_a_model_after_backward():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    x = mg.tensor(np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32))
    (model(x) ** 2).sum().backward()
    total = clip_grad_norm_(model.parameters(), max_norm=0.1)
    assert total.item() > 0.1
    after = math.sqrt(sum(float((p.grad.data.astype(np.float64) ** 2).sum()) for p in model.parameters()))
    assert after == pytest.approx(0.1, rel=1e-5)


def test_a_parameter_listed_twice_is_clipped_once():
    (p,) = params_with_grads([[3.0, 4.0]])
    total = clip_grad_norm_([p, p], 1.0)
    assert total.item() == 5.0
    np.testing.assert_allclose(p.grad.data, [0.6, 0.8], rtol=1e-6)


def test_clip_grad_norm_non_finite():
    ps = params_with_grads([[1.0, float("nan")]])
    with pytest.raises(RuntimeError, match="clip_grad_norm_: the total norm of order 2.0 of the gradients is nan"):
        clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(ps[0].grad.data, [1.0, np.nan])  # untouched on error
    total = clip_grad_norm_(ps, 1.0)  # as PyTorch: scaled anyway
    assert math.isnan(total.item()) and np.all(np.isnan(ps[0].grad.data))
    ps = params_with_grads([[1.0, float("inf")]])
    assert clip_grad_norm_(ps, 1.0).item() == math.inf
    np.testing.assert_array_equal(ps[0].grad.data, [0.0, np.nan])  # 1 * 0 and inf * 0


def test_clip_grad_norm_read_only_gradient():
    (p,) = params_with_grads([[3.0, 4.0]])
    p.grad.data.flags.writeable = False
    grad = p.grad
    clip_grad_norm_(p, 1.0)
    assert p.grad is grad
    np.testing.assert_allclose(grad.data, [0.6, 0.8], rtol=1e-6)


@pytest.mark.parametrize("call, exc, match", [
    (lambda ps: clip_grad_norm_(ps, -1.0), ValueError, "clip_grad_norm_: max_norm must be >= 0"),
    (lambda ps: clip_grad_norm_(ps, "1"), TypeError, "clip_grad_norm_: max_norm must be a real number"),
    (lambda ps: clip_grad_norm_(ps, float("nan")), ValueError, "max_norm must not be nan"),
    (lambda ps: clip_grad_norm_(ps, 1.0, norm_type=0), ValueError, "norm_type must be positive"),
    (lambda ps: clip_grad_norm_(ps, 1.0, norm_type=-math.inf), ValueError, "norm_type"),
    (lambda ps: clip_grad_norm_(ps, 1.0, norm_type="fro"), TypeError, "norm_type"),
    (lambda ps: clip_grad_norm_(3, 1.0), TypeError, "clip_grad_norm_: parameters must be a Tensor or an iterable"),
    (lambda ps: clip_grad_norm_(ps + [np.ones(2)], 1.0), TypeError, "parameter 1 is a ndarray"),
    (lambda ps: clip_grad_value_(ps, -0.5), ValueError, "clip_grad_value_: clip_value must be >= 0"),
    (lambda ps: clip_grad_value_(ps, None), TypeError, "clip_grad_value_: clip_value must be a real number"),
    (lambda ps: clip_grad_value_("abc", 1.0), TypeError, "clip_grad_value_: parameters"),
])
def test_bad_arguments(call, exc, match):
    ps = params_with_grads([[3.0, 4.0]])
    with pytest.raises(exc, match=match):
        call(ps)
    np.testing.assert_array_equal(ps[0].grad.data, [3.0, 4.0])


def test_an_integer_gradient_is_refused():
    p = nn.Parameter([1.0, 2.0])
    p.grad = mg.tensor([1, 2])
    with pytest.raises(TypeError, match="grad of parameter 0 must be a float Tensor, got int64"):
        clip_grad_norm_([p], 1.0)


# --------------------------------------------------------------------- clip_grad_value_
def test_clip_grad_value():
    ps = params_with_grads([[-3.0, 0.5, 2.0], None, [[float("nan"), -0.1]]])
    arr = ps[0].grad.data
    assert clip_grad_value_(ps, 1.0) is None
    assert ps[0].grad.data is arr and ps[1].grad is None
    np.testing.assert_array_equal(arr, [-1.0, 0.5, 1.0])
    np.testing.assert_array_equal(ps[2].grad.data, [[np.nan, -0.1]])
    (p,) = params_with_grads([[5.0, -5.0]], dtype=np.float32)
    clip_grad_value_(p, 0)
    assert p.grad.dtype == np.float32 and np.array_equal(p.grad.data, [0.0, 0.0])


# --------------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf, 3.0, 0.5])
@pytest.mark.parametrize("max_norm", [0.3, 100.0])
def test_clip_grad_norm_matches_pytorch(dtype, norm_type, max_norm):
    torch = pytest.importorskip("torch", reason="torch is needed to compare with torch.nn.utils")
    rng = np.random.default_rng(4)
    grads = [rng.standard_normal(s).astype(dtype) for s in [(3, 4), (4,), (2, 2, 2)]] + [None]
    ps = params_with_grads(grads, dtype)
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    tps = []
    for g in grads:
        tp = torch.nn.Parameter(torch.zeros(1 if g is None else g.shape, dtype=tdtype))
        tp.grad = None if g is None else torch.from_numpy(g.copy())
        tps.append(tp)
    total = clip_grad_norm_(ps, max_norm, norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(tps, max_norm, norm_type)
    tol = dict(rtol=1e-12, atol=0) if dtype == np.float64 else dict(rtol=2e-6, atol=0)
    np.testing.assert_allclose(total.item(), ttotal.item(), **tol)
    assert total.dtype == dtype
    for p, tp in zip(ps, tps):
        if tp.grad is None:
            assert p.grad is None
        else:
            np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), **tol)


def test_clip_grad_value_matches_pytorch():
    torch = pytest.importorskip("torch", reason="torch is needed to compare with torch.nn.utils")
    g = np.random.default_rng(2).standard_normal((5, 3)) * 3
    (p,) = params_with_grads([g])
    tp = torch.nn.Parameter(torch.zeros(5, 3, dtype=torch.float64))
    tp.grad = torch.from_numpy(g.copy())
    clip_grad_value_(p, 1.5)
    torch.nn.utils.clip_grad_value_([tp], 1.5)
    np.testing.assert_array_equal(p.grad.data, tp.grad.numpy())
