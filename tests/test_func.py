"""minigrad.func: every transform against analytic or numerical derivatives, composition (nested
transforms, closures, backward through a transform), accepted inputs, `.grad` untouched, when results
are recorded, the errors, and the README's examples run as written."""
import contextlib
import io
import os
import re

import numpy as np
import pytest

import minigrad as mg
from minigrad import func
from minigrad.testing import numerical_grad

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
rng = np.random.default_rng(0)


def f64(values, requires_grad=False):
    return mg.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def numeric_jacobian(f, x, eps=1e-6):
    """d f(x) / dx by central differences, shape f(x).shape + x.shape."""
    x = np.array(x, dtype=np.float64)
    y0 = f(f64(x)).data
    jac = np.zeros(y0.shape + x.shape)
    for idx in np.ndindex(*x.shape):
        d = np.zeros_like(x)
        d[idx] = eps
        jac[(Ellipsis,) + idx] = (f(f64(x + d)).data - f(f64(x - d)).data) / (2 * eps)
    return jac


def close(a, b, tol=1e-7):
    np.testing.assert_allclose(np.asarray(a.data if isinstance(a, mg.Tensor) else a),
                               np.asarray(b.data if isinstance(b, mg.Tensor) else b), rtol=tol, atol=tol)


X = np.array([0.5, -1.0, 2.0])
W = rng.standard_normal((3, 2))


def scalar_f(x):
    return (x.sin() * x).sum() + (x * x).tanh().sum()


def vector_f(x, w):
    return (x @ w).tanh() * x.sum()


# ------------------------------------------------------------------------------------ values

def test_grad_and_value_and_grad_match_the_analytic_derivative():
    g = func.grad(scalar_f)(X)
    expected = np.sin(X) + X * np.cos(X) + 2 * X * (1 - np.tanh(X ** 2) ** 2)
    close(g, expected)
    value, g2 = func.value_and_grad(scalar_f)(X)
    close(value, np.sum(np.sin(X) * X) + np.sum(np.tanh(X ** 2)))
    close(g2, expected)
    assert isinstance(g, mg.Tensor) and g.shape == X.shape


def test_grad_argnums_int_negative_and_tuple():
    def f(x, w, scale):
        return (vector_f(x, w) * scale).sum()

    gx, gw = func.grad(f, argnums=(0, 1))(X, W, 2.0)
    close(gx, numerical_grad(lambda x: f(x, f64(W), 2.0), [f64(X)])[0], 1e-6)
    close(gw, numerical_grad(lambda w: f(f64(X), w, 2.0), [f64(W)])[0], 1e-6)
    close(func.grad(f, argnums=-2)(X, W, 2.0), gw)
    gs = func.grad(f, argnums=2)(f64(X), f64(W), 2.0)  # arguments not differentiated are passed unchanged
    close(gs, vector_f(f64(X), f64(W)).sum())
    assert isinstance(func.grad(f, argnums=(1,))(X, W, 2.0), tuple)


def test_has_aux_returns_aux_untouched_by_differentiation():
    def f(x):
        y = x * x
        return y.sum(), {"y": y, "label": "squares"}

    g, aux = func.grad(f, has_aux=True)(X)
    close(g, 2 * X)
    assert aux["label"] == "squares" and not aux["y"].requires_grad
    close(aux["y"], X ** 2)
    (value, aux2), g2 = func.value_and_grad(f, has_aux=True)(X)
    close(value, np.sum(X ** 2))
    close(g2, 2 * X)


def test_vjp_jvp_and_the_jacobians_agree_with_finite_differences():
    x = rng.standard_normal((2, 3))
    f = lambda x: (x @ f64(W)).tanh() * x.sum()  # noqa: E731
    J = numeric_jacobian(f, x)
    close(func.jacrev(f)(x), J, 1e-6)
    close(func.jacfwd(f)(x), J, 1e-6)
    v = rng.standard_normal(x.shape)
    out, tangent = func.jvp(f, (x,), (v,))
    close(out, f(f64(x)))
    close(tangent, np.tensordot(J, v, axes=2), 1e-6)
    out, pullback = func.vjp(f, x)
    u = rng.standard_normal(out.shape)
    (ct,) = pullback(u)
    close(ct, np.tensordot(u, J, axes=2), 1e-6)
    close(pullback(2 * u)[0], 2 * ct.data)  # the pullback can be called again


def test_jacobians_with_several_arguments_and_outputs():
    def f(x, w):
        return (x @ w).tanh(), (x * x).sum()

    jr = func.jacrev(f, argnums=(0, 1))(X, W)
    jf = func.jacfwd(f, argnums=(0, 1))(X, W)
    assert len(jr) == 2 and len(jr[0]) == 2
    assert jr[0][1].shape == (2, 3, 2) and jr[1][0].shape == (3,)
    for i in range(2):
        for k in range(2):
            close(jr[i][k], jf[i][k])
    close(jr[0][0], numeric_jacobian(lambda x: f(x, f64(W))[0], X), 1e-6)
    (o1, o2), (t1, t2) = func.jvp(f, (X, W), (np.ones(3), np.zeros((3, 2))))
    close(t2, 2 * X.sum())
    out, pullback = func.vjp(f, X, W)
    gx, gw = pullback((np.ones(2), 1.0))
    close(gx, jr[0][0].data.sum(0) + jr[1][0].data)


def test_hessian_and_hvp():
    H = func.hessian(scalar_f)(X)
    close(H, numeric_jacobian(func.grad(scalar_f), X), 1e-6)
    close(H, H.data.T)
    v = np.array([1.0, -2.0, 0.5])
    value, hv = func.hvp(scalar_f, (X,), (v,))
    close(hv, H.data @ v)
    close(value, scalar_f(f64(X)))
    H2 = func.hessian(lambda x, w: (x @ w).tanh().sum(), argnums=(0, 1))(X, W)
    assert H2[0][1].shape == (3, 3, 2) and H2[1][0].shape == (3, 2, 3)
    close(H2[0][1], np.transpose(H2[1][0].data, (2, 0, 1)))
    _, (hx, hw) = func.hvp(lambda x, w: (x @ w).tanh().sum(), (X, W), (v, np.zeros((3, 2))))
    close(hx, H2[0][0].data @ v)


# ------------------------------------------------------------------------------------ composition

def test_nested_grads_give_higher_derivatives():
    d = func.grad
    x = 0.7
    close(d(mg.sin)(x), np.cos(x), 1e-6)
    close(d(d(mg.sin))(x), -np.sin(x), 1e-6)
    close(d(d(d(mg.sin)))(x), -np.cos(x), 1e-6)
    close(d(d(d(d(lambda t: t.exp() * t))))(x), np.exp(x) * (x + 4), 1e-6)


def test_jacfwd_of_jacrev_and_jacrev_of_jacfwd_give_the_hessian():
    H = func.hessian(scalar_f)(X)
    close(func.jacrev(func.jacrev(scalar_f))(X), H)
    close(func.jacfwd(func.jacfwd(scalar_f))(X), H)
    close(func.jacrev(func.jacfwd(scalar_f))(X), H)


def test_closures_over_an_outer_variable_are_differentiated_not_confused():
    # d/dx [x * d/dy (x * y)] = d/dx x^2 = 2x: the inner derivative must stay a function of x
    close(func.grad(lambda x: x * func.grad(lambda y: x * y)(x))(3.0), 6.0)
    # the inner transform sees x only through its closure, not its arguments
    close(func.grad(lambda x: func.grad(lambda y: (x * y).sin())(2.0))(0.3),
          np.cos(0.6) - 0.6 * np.sin(0.6))
    # forward mode over a closure: d/dx jvp_y(x*y^2; v=1) = d/dx 2xy = 2y
    close(func.grad(lambda x: func.jvp(lambda y: x * y * y, (1.5,), (1.0,))[1])(0.4), 3.0)


def test_backward_through_a_transform_reaches_the_outer_leaves():
    x = f64(X, requires_grad=True)
    g = func.grad(scalar_f)(x)
    assert g.requires_grad and x.grad is None
    g.sum().backward()
    close(x.grad, func.hessian(scalar_f)(X).data.sum(0))
    # a closed-over parameter also stays differentiable: d/dW of sum(J) for J = jacrev(x -> tanh(x @ W))
    w = f64(W, requires_grad=True)
    J = func.jacrev(lambda x: (x @ w).tanh())(X)
    assert J.requires_grad
    J.sum().backward()
    num = numerical_grad(lambda w_: func.jacrev(lambda x: (x @ w_).tanh())(f64(X)).sum(), [f64(W)])[0]
    close(w.grad, num, 1e-6)


def test_results_are_recorded_only_when_an_outer_graph_needs_them():
    plain = func.grad(scalar_f)(X)
    assert not plain.requires_grad and plain.grad_fn is None
    assert not func.jacfwd(scalar_f)(X).requires_grad
    assert not func.jvp(scalar_f, (X,), (X,))[1].requires_grad
    x = f64(X, requires_grad=True)
    assert func.grad(scalar_f)(x).requires_grad
    assert func.jvp(scalar_f, (x,), (X,))[1].requires_grad
    with mg.no_grad():  # transforms work under no_grad, and record nothing for the caller
        g = func.grad(scalar_f)(x)
        value, hv = func.hvp(scalar_f, (x,), (X,))
    assert not g.requires_grad and not hv.requires_grad and not value.requires_grad
    close(g, plain)
    assert mg.is_grad_enabled()  # the caller's mode is restored


def test_inputs_grad_is_never_touched():
    x = f64(X, requires_grad=True)
    w = f64(W, requires_grad=True)
    w.grad = mg.ones(3, 2, dtype="float64")
    func.grad(lambda x, w: vector_f(x, w).sum(), argnums=(0, 1))(x, w)
    func.jacrev(vector_f)(x, w)
    func.jacfwd(vector_f)(x, w)
    func.hessian(scalar_f)(x)
    func.hvp(scalar_f, (x,), (X,))
    func.vjp(vector_f, x, w)[1](np.ones(2))
    func.jvp(vector_f, (x, w), (X, W))
    assert x.grad is None
    close(w.grad, np.ones((3, 2)))


# ------------------------------------------------------------------------------------ inputs

def test_numbers_lists_and_arrays_are_accepted_with_the_right_dtype():
    default = mg.get_default_dtype()
    g = func.grad(lambda x: x * x)(3)
    assert g.dtype == default and float(g.data) == 6.0
    assert func.grad(lambda x: (x * x).sum())([1.0, 2.0]).dtype == default
    assert func.grad(lambda x: (x * x).sum())(X).dtype == np.float64
    assert func.grad(lambda x: (x * x).sum())(X.astype(np.float32)).dtype == np.float32
    assert func.jacfwd(lambda x: x * 2)(f64(X)).dtype == np.float64
    # arguments that are not differentiated pass through as they are (an int label, an axis)
    labels = np.array([2, 0])
    logits = rng.standard_normal((2, 3))
    g = func.grad(lambda z, t, axis: mg.nn.functional.cross_entropy(z, t) + z.sum(axis=axis).sum() * 0)(
        logits, labels, 1)
    assert g.shape == (2, 3)


def test_unused_inputs_get_zeros():
    def f(x, w):
        return (x * x).sum()

    gx, gw = func.grad(f, argnums=(0, 1))(X, W)
    close(gw, np.zeros_like(W))
    assert gw.shape == W.shape
    close(func.jacrev(f, argnums=1)(f64(X), W), np.zeros((3, 2)))
    close(func.jacfwd(f, argnums=1)(f64(X), W), np.zeros((3, 2)))
    close(func.jvp(lambda x: mg.ones(2, dtype="float64"), (X,), (X,))[1], np.zeros(2))
    close(func.vjp(f, X, W)[1](1.0)[1], np.zeros((3, 2)))
    close(func.hvp(f, (X, W), (X, W))[1][1], np.zeros((3, 2)))
    close(func.hessian(lambda x: x.sum())(X), np.zeros((3, 3)))  # linear: the gradient is constant
    close(func.grad(lambda x: f64(1.0))(X), np.zeros(3))


# ------------------------------------------------------------------------------------ errors

def test_grad_of_a_non_scalar_names_the_shape():
    with pytest.raises(ValueError, match=r"grad: .*one-element.*shape \(3,\)"):
        func.grad(lambda x: x * 2)(X)
    with pytest.raises(ValueError, match=r"value_and_grad: .*shape \(3, 2\)"):
        func.value_and_grad(lambda w: w)(W)
    with pytest.raises(ValueError, match=r"hvp: .*shape \(3,\)"):
        func.hvp(lambda x: x, (X,), (X,))
    assert func.grad(lambda x: (x * x).sum(keepdims=True))(X).shape == (3,)  # one element is fine


@pytest.mark.parametrize("argnums, error, message", [
    (2, IndexError, r"grad: argnums 2 is out of range for a function called with 2 positional arguments"),
    (-3, IndexError, r"argnums -3 is out of range"),
    ((0, 5), IndexError, r"argnums 5 is out of range"),
])
def test_argnums_out_of_range(argnums, error, message):
    with pytest.raises(error, match=message):
        func.grad(lambda x, w: (x @ w).sum(), argnums=argnums)(X, W)


@pytest.mark.parametrize("make", [func.grad, func.value_and_grad, func.jacrev, func.jacfwd, func.hessian])
@pytest.mark.parametrize("argnums, error", [("0", TypeError), (1.0, TypeError), (True, TypeError),
                                            ([0], TypeError), ((), ValueError), ((0, 0), ValueError)])
def test_argnums_must_be_an_int_or_a_tuple_of_distinct_ints(make, argnums, error):
    with pytest.raises(error, match=make.__name__ + ": argnums"):
        make(scalar_f, argnums=argnums)
    with pytest.raises(ValueError, match="names an argument twice"):
        make(scalar_f, argnums=(0, -1))(X)


@pytest.mark.parametrize("name, call", [
    ("grad", lambda f: func.grad(f)(X)),
    ("jacrev", lambda f: func.jacrev(f)(X)),
    ("jacfwd", lambda f: func.jacfwd(f)(X)),
    ("jvp", lambda f: func.jvp(f, (X,), (X,))),
    ("vjp", lambda f: func.vjp(f, X)),
    ("hvp", lambda f: func.hvp(f, (X,), (X,))),
])
@pytest.mark.parametrize("returned, typename", [(lambda x: x.data.sum(), "float64"), (lambda x: 1.0, "float"),
                                                (lambda x: [x.sum(), "a"], "str"), (lambda x: None, "NoneType")])
def test_a_function_that_does_not_return_a_tensor(name, call, returned, typename):
    with pytest.raises(TypeError, match=rf"{name}: f must return .*{typename}"):
        call(returned)


def test_other_errors_name_the_transform():
    with pytest.raises(TypeError, match=r"grad: with has_aux=True, f must return a pair \(output, aux\), got Tensor"):
        func.grad(lambda x: x.sum(), has_aux=True)(X)
    with pytest.raises(TypeError, match=r"value_and_grad: .*pair.*a tuple of length 3"):
        func.value_and_grad(lambda x: (x.sum(), 1, 2), has_aux=True)(X)
    with pytest.raises(ValueError, match=r"jvp: tangent 1 has shape \(3,\), but its primal has shape \(3, 2\)"):
        func.jvp(vector_f, (X, W), (X, X))
    with pytest.raises(ValueError, match=r"hvp: tangent 0 has shape \(2,\), but its primal has shape \(3,\)"):
        func.hvp(scalar_f, (X,), (np.ones(2),))
    with pytest.raises(ValueError, match=r"jvp: got 1 tangents for 2 primals"):
        func.jvp(vector_f, (X, W), (X,))
    with pytest.raises(TypeError, match=r"jvp: primals must be a tuple, got ndarray"):
        func.jvp(scalar_f, X, X)
    with pytest.raises(TypeError, match=r"jvp: tangent 0 has dtype float32, but its primal has dtype float64"):
        func.jvp(scalar_f, (X,), (X.astype(np.float32),))
    with pytest.raises(ValueError, match=r"vjp: cotangent has shape \(3,\), but the output has shape \(2,\)"):
        func.vjp(vector_f, X, W)[1](X)
    with pytest.raises(ValueError, match=r"vjp: cotangent 1 has shape \(2,\), but output 1 has shape \(\)"):
        func.vjp(lambda x: (x, x.sum()), X)[1]((X, np.ones(2)))
    with pytest.raises(ValueError, match=r"vjp: got 1 cotangents for 2 outputs"):
        func.vjp(lambda x: (x, x.sum()), X)[1]((X,))
    with pytest.raises(TypeError, match=r"grad: argument 0 has dtype int64; only float inputs"):
        func.grad(lambda x: x.sum())(np.arange(3))
    with pytest.raises(TypeError, match=r"jacrev: f returned a tensor of dtype bool"):
        func.jacrev(lambda x: x > 0)(X)
    with pytest.raises(TypeError, match=r"grad: argument 0 must be a tensor, an ndarray or a number, got str"):
        func.grad(lambda x: x)("x")


# ------------------------------------------------------------------------------------ README examples

def _readme_examples():
    """(code, output) pairs of the README section on function transforms: each ```python block
    followed by a ```text block holding what it prints."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        readme = fh.read()
    section = re.search(r"^## Function transforms and forward mode\n(.*?)(?=^## )", readme, flags=re.S | re.M)
    assert section, "README has no section 'Function transforms and forward mode'"
    pairs = re.findall(r"```python\n(.*?)```\s*```text\n(.*?)```", section.group(1), flags=re.S)
    assert len(pairs) >= 3, "the section should hold at least three examples with their output"
    return pairs


@pytest.mark.parametrize("index", range(3))
def test_readme_example_prints_what_the_readme_says(index):
    code, expected = _readme_examples()[index]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, f"README example {index}", "exec"), {"__name__": "__readme__"})
    assert out.getvalue().strip() == expected.strip()


# ------------------------------------------------------------------------------------ the benchmark

def test_transforms_benchmark_runs_checks_and_reports_every_case():
    """benchmarks/transforms.py --quick: agreement with torch.func (or central differences) and a table
    row per case. No timing is asserted."""
    import subprocess
    import sys
    script = os.path.join(ROOT, "benchmarks", "transforms.py")
    proc = subprocess.run([sys.executable, script, "--quick", "--budget", "0.01"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    out = proc.stdout
    assert "OMP_NUM_THREADS=1" in out and "MISMATCH" not in out
    for case in ("vjp", "jvp", "jacrev", "jacfwd", "jacrev16", "jacfwd16", "grad", "hvp"):
        assert re.search(rf"^\| {case} \| .* \| ok \|$", out, flags=re.M), f"{case} not checked:\n{out}"
        assert re.search(rf"^\| {case} \| [\d.]+ [µm]?s \|", out, flags=re.M), f"{case} not timed:\n{out}"
    assert "JVP / VJP: minigrad" in out and "HVP / gradient: minigrad" in out
    assert ("Target: minigrad within 3× of torch.func" in out) or ("torch.func column skipped" in out)
