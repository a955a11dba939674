"""nn.Module and nn.Parameter: registration, traversal, modes, state dicts, repr."""
import copy

import numpy as np
import pytest

import minigrad as mg
from minigrad.nn import Module, Parameter


class Dense(Module):
    def __init__(self, n_in, n_out, bias=True, dtype=np.float32):
        super().__init__()
        self.weight = Parameter(np.arange(n_in * n_out, dtype=dtype).reshape(n_in, n_out) / 10)
        self.bias = Parameter(np.zeros(n_out, dtype=dtype)) if bias else None

    def extra_repr(self):
        return f"in_features={self.weight.shape[0]}, out_features={self.weight.shape[1]}"

    def forward(self, x):
        y = x @ self.weight
        return y if self.bias is None else y + self.bias


class Net(Module):
    def __init__(self):
        super().__init__()
        self.scale = Parameter([2.0])
        self.enc = Dense(3, 4)
        self.dec = Dense(4, 2, bias=False)
        self.not_a_param = mg.ones(3, requires_grad=True)  # plain tensors are not registered
        self.register_buffer("running", np.zeros(2))

    def forward(self, x):
        return self.dec(self.enc(x).relu()) * self.scale


class Tied(Module):
    """Shares one sub-module (and so its parameters) under two names."""

    def __init__(self):
        super().__init__()
        self.first = Dense(2, 2)
        self.second = self.first
        self.inner = Net()


# --------------------------------------------------------------------- Parameter
def test_parameter_is_a_grad_leaf_tensor():
    p = Parameter(np.ones((2, 3), dtype=np.float64))
    assert isinstance(p, mg.Tensor) and p.requires_grad and p.is_leaf and p.grad_fn is None
    assert p.dtype == np.float64 and p.shape == (2, 3)
    assert not hasattr(p, "__dict__")  # __slots__ kept
    assert repr(p).startswith("Parameter(")


def test_parameter_dtypes_and_copies():
    assert Parameter([1.0, 2.0]).dtype == mg.get_default_dtype()
    assert Parameter([1, 2]).dtype == mg.get_default_dtype()
    assert Parameter(np.zeros(2, np.float16)).dtype == np.float16
    src = np.zeros(3, np.float32)
    p = Parameter(src)
    p.data[0] = 5
    assert src[0] == 0  # copied, not aliased
    t = mg.tensor([1.0, 2.0], dtype="float64")
    assert Parameter(t).dtype == np.float64


@pytest.mark.parametrize("bad", [np.arange(3), np.array([True, False]), mg.tensor([1, 2])])
def test_parameter_rejects_non_float(bad):
    with pytest.raises(TypeError, match="Parameter"):
        Parameter(bad)


def test_parameter_ops_give_tensors_and_gradients():
    p = Parameter(np.array([1.0, 2.0, 3.0]))
    y = (p * p).sum()
    assert type(y) is mg.Tensor
    y.backward()
    np.testing.assert_allclose(p.grad.data, [2.0, 4.0, 6.0])


# --------------------------------------------------------------------- registration and names
def test_registration_and_dotted_names():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["scale", "enc.weight", "enc.bias", "dec.weight"]
    assert all(isinstance(p, Parameter) for p in net.parameters())
    assert [n for n, _ in net.named_children()] == ["enc", "dec"]
    assert list(net.children()) == [net.enc, net.dec]
    assert [n for n, _ in net.named_modules()] == ["", "enc", "dec"]
    assert [n for n, _ in net.named_buffers()] == ["running"]
    assert net.not_a_param.requires_grad and "not_a_param" not in dict(net.named_parameters())


def test_nested_names_and_shared_parameters_counted_once():
    m = Tied()
    names = [n for n, _ in m.named_parameters()]
    assert names == ["first.weight", "first.bias", "inner.scale", "inner.enc.weight", "inner.enc.bias",
                     "inner.dec.weight"]
    assert len(list(m.parameters())) == 6
    assert len({id(p) for p in m.parameters()}) == 6
    assert [n for n, _ in m.named_modules()] == ["", "first", "inner", "inner.enc", "inner.dec"]


def test_shared_parameter_directly_assigned_twice():
    m = Module()
    p = Parameter([1.0])
    m.a = p
    m.b = p
    assert list(m.parameters()) == [p]


def test_reassign_and_delete_keep_registry_in_step():
    net = Net()
    net.enc.bias = None  # allowed: an absent parameter
    assert "enc.bias" not in dict(net.named_parameters())
    assert "enc.bias" not in net.state_dict()
    net.enc = Dense(3, 4, bias=False)
    assert [n for n, _ in net.named_parameters()] == ["scale", "enc.weight", "dec.weight"]
    del net.dec
    assert [n for n, _ in net.named_parameters()] == ["scale", "enc.weight"]
    with pytest.raises(AttributeError):
        net.dec
    net.dec = Parameter([3.0])  # a name can change kind
    assert "dec" in dict(net.named_parameters()) and not list(net.named_children())[1:]


def test_assigning_a_plain_tensor_to_a_parameter_slot_is_a_type_error():
    net = Net()
    with pytest.raises(TypeError, match="scale"):
        net.scale = mg.tensor([1.0])
    with pytest.raises(TypeError, match="enc"):
        net.enc = 3


def test_add_module_register_parameter_and_errors():
    m = Module()
    m.add_module("0", Dense(2, 2))
    m.register_parameter("w", Parameter([1.0]))
    m.register_parameter("b", None)
    assert [n for n, _ in m.named_parameters()] == ["w", "0.weight", "0.bias"]
    assert getattr(m, "0") is dict(m.named_children())["0"]
    with pytest.raises(TypeError):
        m.register_parameter("x", mg.tensor([1.0]))
    with pytest.raises(TypeError):
        m.add_module("y", "not a module")
    with pytest.raises(KeyError):
        m.add_module("a.b", Module())
    with pytest.raises(KeyError, match="forward"):
        m.add_module("forward", Module())  # would shadow a method
    m.add_module("0", Module())  # re-registering a name is fine
    assert not list(getattr(m, "0").parameters())


def test_forgetting_super_init_is_a_clear_error():
    class Bad(Module):
        def __init__(self):
            self.w = Parameter([1.0])

    with pytest.raises(RuntimeError, match=r"super\(\)\.__init__"):
        Bad()

    class Quiet(Module):
        def __init__(self):
            self.x = 1  # a plain attribute works, but the module is unusable

    with pytest.raises(AttributeError, match=r"super\(\)\.__init__"):
        list(Quiet().parameters())
    assert not hasattr(Quiet(), "_parameters")


def test_call_runs_forward_and_base_forward_is_not_implemented():
    net = Net()
    x = mg.tensor(np.ones((5, 3)))
    y = net(x)
    assert y.shape == (5, 2)
    with pytest.raises(NotImplementedError, match="Module"):
        Module()(x)


# --------------------------------------------------------------------- modes and grads
def test_train_eval_recurse_and_return_self():
    m = Tied()
    assert all(mod.training for mod in m.modules())
    assert m.eval() is m
    assert not any(mod.training for mod in m.modules())
    assert m.inner.train() is m.inner
    assert m.inner.enc.training and not m.training and not m.first.training
    m.train(True)
    assert all(mod.training for mod in m.modules())
    with pytest.raises(ValueError):
        m.train("yes")


def test_zero_grad_sets_none():
    net = Net()
    net(mg.tensor(np.ones((2, 3)))).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_zero_grad_set_to_none_false_zeroes_in_place():
    net = Net()
    net(mg.tensor(np.ones((2, 3)))).sum().backward()
    grads = {n: (p.grad, p.grad.data) for n, p in net.named_parameters()}
    net.zero_grad(set_to_none=False)
    for n, p in net.named_parameters():
        assert p.grad is grads[n][0] and p.grad.data is grads[n][1], n
        assert not np.any(p.grad.data), n
    net(mg.tensor(np.ones((2, 3)))).sum().backward()
    fresh = Net()
    fresh(mg.tensor(np.ones((2, 3)))).sum().backward()
    for (n, p), q in zip(net.named_parameters(), fresh.parameters()):
        np.testing.assert_allclose(p.grad.data, q.grad.data, err_msg=n)  # accumulated onto zeros


def test_requires_grad_freezes():
    net = Net()
    net.enc.requires_grad_(False)
    assert [p.requires_grad for p in net.parameters()] == [True, False, False, True]


def test_apply_visits_every_module_children_first():
    seen = []
    m = Tied()
    assert m.apply(lambda mod: seen.append(type(mod).__name__)) is m
    assert seen[-1] == "Tied" and sorted(seen) == sorted(["Tied", "Dense", "Net", "Dense", "Dense"])


# --------------------------------------------------------------------- state dicts
def test_state_dict_is_ordered_copies():
    net = Net()
    sd = net.state_dict()
    assert list(sd) == ["scale", "running", "enc.weight", "enc.bias", "dec.weight"]
    assert all(type(v) is np.ndarray for v in sd.values())
    sd["enc.weight"][...] = 123.0
    assert not np.any(net.enc.weight.data == 123.0)
    assert not np.shares_memory(sd["enc.weight"], net.enc.weight.data)


def test_state_dict_lists_shared_values_under_each_name():
    sd = Tied().state_dict()
    assert "first.weight" in sd and "second.weight" in sd


def test_load_state_dict_round_trip_copies_and_keeps_dtype():
    a, b = Net(), Net()
    rng = np.random.default_rng(0)
    sd = {k: rng.standard_normal(v.shape) for k, v in a.state_dict().items()}  # float64 arrays
    sd["enc.bias"] = mg.tensor(sd["enc.bias"])  # tensors accepted too
    weight_array = b.enc.weight.data
    res = b.load_state_dict(sd)
    assert res.missing_keys == [] and res.unexpected_keys == []
    assert b.enc.weight.data is weight_array  # written in place
    assert b.enc.weight.dtype == np.float32
    np.testing.assert_allclose(b.enc.weight.data, sd["enc.weight"].astype(np.float32))
    np.testing.assert_allclose(b.running, sd["running"])
    loaded = b.enc.weight.data.copy()
    sd["enc.weight"][...] = 0.0  # not aliased
    np.testing.assert_array_equal(b.enc.weight.data, loaded)
    assert not np.shares_memory(b.enc.weight.data, sd["enc.weight"])
    b2 = Net()
    b2.load_state_dict(a.state_dict())
    for (k, v), (k2, v2) in zip(a.state_dict().items(), b2.state_dict().items()):
        assert k == k2 and np.array_equal(v, v2)


def test_load_state_dict_error_lists_everything_and_modifies_nothing():
    net = Net()
    before = net.state_dict()
    sd = net.state_dict()
    del sd["scale"], sd["dec.weight"]
    sd["enc.weight"] = np.ones((4, 3))  # transposed layout
    sd["enc.bias"] = np.full(4, 7.0)  # valid, but must not be written since the load fails
    sd["extra.thing"] = np.zeros(1)
    sd["another"] = np.zeros(1)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(sd)
    msg = str(info.value)
    for part in ("missing", "'scale'", "'dec.weight'", "unexpected", "'extra.thing'", "'another'",
                 "'enc.weight'", "(4, 3)", "(3, 4)"):
        assert part in msg, part
    for k, v in net.state_dict().items():
        assert np.array_equal(v, before[k]), k


def test_load_state_dict_non_strict_ignores_keys_but_not_shapes():
    net = Net()
    sd = {"enc.bias": np.full(4, 7.0), "bogus": np.zeros(2)}
    res = net.load_state_dict(sd, strict=False)
    assert res.unexpected_keys == ["bogus"]
    assert set(res.missing_keys) == {"scale", "running", "enc.weight", "dec.weight"}
    np.testing.assert_array_equal(net.enc.bias.data, np.full(4, 7.0, np.float32))
    with pytest.raises(RuntimeError, match=r"enc\.bias.*\(5,\).*\(4,\)"):
        net.load_state_dict({"enc.bias": np.zeros(5)}, strict=False)


def test_load_state_dict_rejects_non_numeric_values():
    net = Net()
    sd = net.state_dict()
    sd["scale"] = np.array(["x"])
    with pytest.raises(RuntimeError, match="scale"):
        net.load_state_dict(sd)


# --------------------------------------------------------------------- repr and copy
def test_repr_shows_tree_and_parameter_shapes():
    text = repr(Net())
    assert text.splitlines()[0] == "Net("
    assert "(scale): Parameter(shape=(1,), dtype=float32)" in text
    assert "(enc): Dense(in_features=3, out_features=4)" in text
    assert "(dec): Dense(in_features=4, out_features=2)" in text
    assert text.endswith(")")
    nested = repr(Tied())
    assert "  (inner): Net(\n    (scale)" in nested
    assert repr(Module()) == "Module()"


def test_deepcopy_keeps_structure_and_sharing():
    m = Tied()
    c = copy.deepcopy(m)
    assert c.first is c.second and c.first is not m.first
    assert isinstance(c.first.weight, Parameter) and c.first.weight.requires_grad
    c.first.weight.data[...] = 0
    assert np.any(m.first.weight.data != 0)
