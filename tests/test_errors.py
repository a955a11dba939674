"""Fixed tests for error types and messages: each names the op or function and the offending values."""
import re

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F


# --------------------------------------------------------------------------- broadcasting, matmul

def test_add_shape_mismatch_names_op_and_both_shapes():
    with pytest.raises(ValueError, match=re.escape("add: shapes (3,) and (4,) do not broadcast")):
        mg.ones(3) + mg.ones(4)


@pytest.mark.parametrize("name,fn", [
    ("sub", lambda a, b: a - b),
    ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / b),
    ("pow", lambda a, b: a ** b),
    ("maximum", mg.maximum),
    ("minimum", mg.minimum),
])
def test_binary_shape_mismatch_names_op(name, fn):
    with pytest.raises(ValueError, match=re.escape(f"{name}: shapes (2, 3) and (2,) do not broadcast")):
        fn(mg.ones(2, 3), mg.ones(2))


def test_reflected_shape_mismatch_keeps_operand_order():
    with pytest.raises(ValueError, match=re.escape("mul: shapes (4,) and (3,) do not broadcast")):
        np.ones(4) * mg.ones(3)


def test_where_shape_mismatch_names_op():
    with pytest.raises(ValueError, match=r"^where: shapes .*\(2,\).*\(3,\)"):
        mg.where(mg.ones(2) > 0, mg.ones(3), mg.ones(2))


def test_matmul_message_exact_start():
    with pytest.raises(ValueError) as info:
        mg.ones(3, 4) @ mg.ones(5, 2)
    assert str(info.value).startswith("matmul: shapes (3, 4) and (5, 2) do not align (4 != 5)")


def test_matmul_vector_mismatch_and_batch_mismatch():
    with pytest.raises(ValueError, match=re.escape("matmul: shapes (3,) and (4,) do not align (3 != 4)")):
        mg.matmul(mg.ones(3), mg.ones(4))
    with pytest.raises(ValueError, match=r"^matmul: shapes \(2, 3, 4\) and \(5, 4, 2\)"):
        mg.ones(2, 3, 4) @ mg.ones(5, 4, 2)
    with pytest.raises(ValueError, match="matmul"):
        mg.ones(3) @ mg.tensor(2.0)


# --------------------------------------------------------------------------- shape ops

def test_reshape_error_names_both_shapes():
    with pytest.raises(ValueError, match=r"reshape: .*\(3, 4\).*\(5,\)"):
        mg.ones(3, 4).reshape(5)
    with pytest.raises(ValueError, match=r"^reshape"):
        mg.ones(2, 3).reshape(4, -1)


def test_other_shape_op_errors_name_the_op():
    with pytest.raises(ValueError, match=r"^transpose"):
        mg.ones(2, 3).transpose(0, 0)
    with pytest.raises(ValueError, match=r"^squeeze: axis 0 of shape \(2, 3\)"):
        mg.ones(2, 3).squeeze(0)
    with pytest.raises(ValueError, match=r"^unsqueeze: axis 3"):
        mg.ones(2).unsqueeze(3)
    with pytest.raises(ValueError, match=r"^broadcast_to: cannot broadcast shape \(3,\) to \(2, 4\)"):
        mg.ones(3).broadcast_to((2, 4))
    with pytest.raises(ValueError, match=r"^stack: .*\(2,\).*\(3,\)"):
        mg.stack([mg.ones(2), mg.ones(3)])
    with pytest.raises(ValueError, match=r"^concatenate: .*\(2, 2\).*\(3, 3\)"):
        mg.concatenate([mg.ones(2, 2), mg.ones(3, 3)])
    with pytest.raises(IndexError, match=r"getitem.*\(3,\)"):
        mg.ones(3)[5]


# --------------------------------------------------------------------------- reductions

@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "logsumexp", "var", "std"])
@pytest.mark.parametrize("axis", [2, -3, (0, 2)])
def test_axis_out_of_range_names_op_and_axis(name, axis):
    x = mg.ones(3, 4)
    with pytest.raises(ValueError) as info:
        getattr(x, name)(axis=axis)
    msg = str(info.value)
    assert msg.startswith("std" if name == "std" else name) or msg.startswith("var"), msg
    assert "axis" in msg and "out of range" in msg and "2 dimensions" in msg


@pytest.mark.parametrize("name", ["mean", "max", "min", "logsumexp"])
def test_reduction_over_empty_axis(name):
    with pytest.raises(ValueError, match=rf"^{name}: .*zero elements.*\(3, 0\)"):
        getattr(mg.ones(3, 0), name)(axis=1)


def test_mean_of_empty_tensor():
    with pytest.raises(ValueError, match=r"^mean"):
        mg.zeros(0).mean()


def test_sum_of_empty_axis_is_zero_not_an_error():
    np.testing.assert_array_equal(mg.ones(3, 0).sum(axis=1).data, [0.0, 0.0, 0.0])


def test_var_without_degrees_of_freedom():
    with pytest.raises(ValueError, match=r"^var: .*ddof=3"):
        mg.ones(3).var(ddof=3)


# --------------------------------------------------------------------------- backward misuse

def test_backward_on_non_scalar_without_grad_explains_and_names_shape():
    y = mg.ones(3, 4, requires_grad=True) * 2
    with pytest.raises(RuntimeError) as info:
        y.backward()
    msg = str(info.value)
    assert "(3, 4)" in msg and "one-element" in msg and "backward" in msg


def test_backward_on_tensor_that_does_not_require_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        mg.ones(3).sum().backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        with mg.no_grad():
            y = (mg.ones(3, requires_grad=True) * 2).sum()
        y.backward()


def test_backward_with_wrong_shape_grad():
    y = mg.ones(2, requires_grad=True) * 2
    with pytest.raises(ValueError, match=r"backward: .*\(2, 2\).*\(2,\)"):
        y.backward(np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"\(3,\)"):
        y.backward(mg.ones(3))


def test_grad_misuse():
    x = mg.ones(2, requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="input 1 does not require grad"):
        mg.grad(y, [x, mg.ones(2)])
    with pytest.raises(ValueError):
        mg.grad([y, y], x, grad_outputs=[mg.tensor(1.0)])


# --------------------------------------------------------------------------- dtypes and misc

@pytest.mark.parametrize("make", [
    lambda: mg.tensor([1, 2], requires_grad=True),
    lambda: mg.tensor([True], requires_grad=True),
    lambda: mg.zeros(2, dtype="int64", requires_grad=True),
    lambda: mg.arange(3, requires_grad=True),
    lambda: mg.tensor([1, 2]).requires_grad_(),
])
def test_int_requires_grad_is_type_error_naming_dtype(make):
    with pytest.raises(TypeError, match=r"float.*(int64|bool)"):
        make()


def test_set_default_dtype_non_float_is_type_error():
    with pytest.raises(TypeError, match="int32"):
        mg.set_default_dtype("int32")
    assert mg.get_default_dtype() == np.float32


def test_object_data_is_type_error():
    with pytest.raises(TypeError, match="tensor"):
        mg.tensor([object()])


def test_item_and_bool_of_multi_element_name_the_shape():
    with pytest.raises(ValueError, match=r"item: .*\(2, 3\)"):
        mg.ones(2, 3).item()
    with pytest.raises(ValueError, match=r"\(2,\)"):
        bool(mg.ones(2))


def test_clip_without_bounds():
    with pytest.raises(ValueError, match="clip"):
        mg.clip(mg.ones(2))


def test_retain_grad_and_hook_on_tensor_without_grad():
    with pytest.raises(RuntimeError, match="retain_grad"):
        mg.ones(2).retain_grad()
    with pytest.raises(RuntimeError, match="register_hook"):
        mg.ones(2).register_hook(lambda g: g)


def test_function_backward_with_wrong_gradient_count():
    class Bad(mg.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g  # one gradient for two inputs

    y = Bad.apply(mg.ones(2, requires_grad=True), mg.ones(2, requires_grad=True)).sum()
    with pytest.raises(RuntimeError, match=r"Bad.*1 gradients.*expected 2"):
        y.backward()


def test_function_backward_with_wrong_gradient_shape():
    class BadShape(mg.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return np.ones((5,))

    y = BadShape.apply(mg.ones(3, requires_grad=True)).sum()
    with pytest.raises(RuntimeError, match=r"BadShape.*\(5,\).*\(3,\)"):
        y.backward()


# --------------------------------------------------------------------------- issue 10: a clear error for every bad input

@pytest.mark.parametrize("make, error, match", [
    (lambda: mg.tensor([None, 1.0]), TypeError, r"^tensor: expected numbers .*got a list holding NoneType, float"),
    (lambda: mg.tensor([None, 1.0], dtype="float32"), TypeError, r"^tensor: expected numbers"),  # not a NaN
    (lambda: mg.tensor("1.5"), TypeError, r"^tensor: expected numbers .*got str '1.5'"),
    (lambda: mg.tensor(np.array([1, None], dtype=object)), TypeError, r"^tensor: .*dtype object"),
    (lambda: mg.tensor(1 + 2j), TypeError, r"^tensor: expected numbers .*complex"),
    (lambda: mg.tensor([[1, 2], [3]]), ValueError, r"^tensor: nested sequences of different lengths"),
    (lambda: mg.tensor([1.0], dtype="foo"), TypeError, r"^tensor: dtype must be a numpy dtype or its name"),
    (lambda: mg.tensor([1.0], dtype="complex64"), TypeError, r"^tensor: dtype must be bool, an integer or a float"),
    (lambda: mg.full(2, ""), TypeError, r"^full: fill_value must be a number, got str"),
    (lambda: mg.full(2, None), TypeError, r"^full: fill_value must be a number"),
    (lambda: mg.zeros(2.7, 1.5), TypeError, r"^zeros: each size in the shape must be a non-negative int, got float 2.7"),
    (lambda: mg.ones((2, -1)), ValueError, r"^ones: each size in the shape must be non-negative, got -1"),
    (lambda: mg.randn("3"), TypeError, r"^randn: each size"),
    (lambda: mg.eye(2.5), TypeError, r"^eye: n must be a non-negative int"),
    (lambda: mg.arange(0, 3, 0), ValueError, r"^arange: step must be nonzero"),
    (lambda: mg.arange("3"), TypeError, r"^arange: start must be a real number"),
    (lambda: mg.zeros_like("a"), TypeError, r"^zeros_like: expected numbers"),
    (lambda: mg.ones(2).reshape(1.5, -1), TypeError, r"^reshape: each size in the shape must be an int, got float 1.5"),
])
def test_constructors_and_shapes_refuse_what_is_not_a_number_or_a_size(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_a_list_of_tensors_that_require_grad_points_to_stack():
    a, b = mg.ones(2, requires_grad=True), mg.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match=r"^tensor: the list holds tensors that require grad.*minigrad\.stack"):
        mg.tensor([a, b])
    assert mg.stack([a, b]).requires_grad
    assert mg.tensor([mg.ones(2), mg.ones(2)]).shape == (2, 2)  # constants may be gathered


@pytest.mark.parametrize("call, error, match", [
    (lambda x: x.squeeze("0"), TypeError, r"^squeeze: axis must be None, an int or a tuple of ints, got str '0'"),
    (lambda x: x.swapaxes(0, 5), IndexError, r"^swapaxes: axis2 5 is out of range for a tensor with 2 dimensions"),
    (lambda x: x.swapaxes(0.0, 1), TypeError, r"^swapaxes: axis1 must be an int"),
    (lambda x: x.sum(axis=1.0), TypeError, r"^sum: axis must be None, an int or a tuple of ints, got float 1.0"),
    (lambda x: x.argmax(axis=6), IndexError, r"^argmax: axis 6 is out of range for a tensor with 2 dimensions"),
    (lambda x: x.argmax(axis=(0,)), TypeError, r"^argmax: axis must be an int"),
    (lambda x: x.transpose(0, "1"), TypeError, r"^transpose: axis must be an int"),
    (lambda x: x.transpose(0, 0), ValueError, r"^transpose: axes \(0, 0\) are not a permutation"),
    (lambda x: x.flatten(0, 1.5), TypeError, r"^flatten: end_dim must be an int"),
    (lambda x: x.broadcast_to((2.0, 3)), TypeError, r"^broadcast_to: each size"),
    (lambda x: F.elu(x, alpha="a"), TypeError, r"^elu: alpha must be a real number, got str 'a'"),
    (lambda x: F.elu(x, alpha=1j), TypeError, r"^elu: alpha must be a real number, got complex"),
    (lambda x: F.leaky_relu(x, negative_slope=np.ones(2)), TypeError, r"^leaky_relu: negative_slope must be a real number"),
    (lambda x: F.softmax(x, axis=2), IndexError, r"^softmax: axis 2 is out of range"),
    (lambda x: F.gelu(x, approximate=1), TypeError, r"^gelu: approximate must be the string"),
    (lambda x: F.dropout(x, training="yes"), TypeError, r"^dropout: training must be True or False"),
    (lambda x: mg.stack([x, x], axis=5), IndexError, r"^stack: axis 5 is out of range for the result with 3 dimensions"),
    (lambda x: mg.concatenate([x, x], axis=1.0), TypeError, r"^concatenate: axis must be an int"),
    (lambda x: mg.concatenate(x), TypeError, r"^concatenate: expected a list or tuple of tensors, got Tensor"),
    (lambda x: x / None, TypeError, r"^div: expected numbers .*NoneType"),
    (lambda x: None / x, TypeError, r"^div: expected numbers"),
    (lambda x: x + "a", TypeError, r"^add: expected numbers"),
    (lambda x: x * 1j, TypeError, r"^mul: expected numbers .*complex"),
    (lambda x: mg.exp("a"), TypeError, r"^exp: expected numbers"),
    (lambda x: mg.tensor([1, 2]) ** -2, ValueError, r"^pow: integers to negative integer powers are not defined"),
    (lambda x: mg.tensor([1, 2]) + 10 ** 30, ValueError, r"^add: the Python int 10+ does not fit"),
    (lambda x: mg.tensor([True]) - mg.tensor([False]), TypeError, r"^sub: not defined for bool tensors"),
])
def test_axis_shape_and_number_arguments_are_checked_at_the_entry(call, error, match):
    with pytest.raises(error, match=match):
        call(mg.ones(2, 3))


def test_an_axis_out_of_range_is_an_index_error_and_a_value_error_like_numpys():
    with pytest.raises(IndexError):
        mg.ones(3).sum(axis=1)
    with pytest.raises(ValueError):
        mg.ones(3).sum(axis=1)


def test_linear_slope_must_be_a_number_pointing_to_dense():
    x, W = mg.ones(2, 3), mg.ones(3, 4)
    with pytest.raises(TypeError, match=r"^linear: the slope a must be a number, got a Tensor of shape \(3, 4\).*F\.dense"):
        F.linear(x, W)
    with pytest.raises(TypeError, match=r"^linear: the slope a must be a number.*dense"):
        F.linear(x, np.ones((3, 4)))
    assert F.dense(x, W).shape == (2, 4)
