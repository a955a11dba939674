"""nn.ModuleList, nn.ModuleDict, nn.ParameterList, nn.ParameterDict, and the error for plain containers."""
import copy

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim


class Tower(nn.Module):
    def __init__(self, sizes=(2, 4, 3, 1)):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(a, b) for a, b in zip(sizes, sizes[1:])])
        self.heads = nn.ModuleDict({"score": nn.Linear(1, 1), "drop": nn.Dropout(0.5)})
        self.scales = nn.ParameterList([nn.Parameter([1.0]), nn.Parameter([2.0, 3.0])])
        self.offsets = nn.ParameterDict({"a": nn.Parameter([0.5])})

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = layer(x).relu()
        return self.heads["score"](self.layers[-1](x)) * self.scales[0] + self.offsets["a"]


NAMES = ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "layers.2.weight",
         "layers.2.bias", "heads.score.weight", "heads.score.bias", "scales.0", "scales.1", "offsets.a"]


# --------------------------------------------------------------------- registration
def test_members_are_registered_with_dotted_names():
    t = Tower()
    assert [n for n, _ in t.named_parameters()] == NAMES
    assert list(t.state_dict()) == NAMES
    assert len(list(t.parameters())) == 11
    assert [n for n, _ in t.named_modules()][:6] == ["", "layers", "layers.0", "layers.1", "layers.2", "heads"]


def test_state_dict_round_trip_through_containers():
    a, b = Tower(), Tower()
    rng = np.random.default_rng(0)
    sd = {k: rng.standard_normal(v.shape) for k, v in a.state_dict().items()}
    b.load_state_dict(sd)
    np.testing.assert_allclose(b.layers[1].weight.data, sd["layers.1.weight"].astype(np.float32))
    np.testing.assert_allclose(b.scales[1].data, sd["scales.1"].astype(np.float32))
    with pytest.raises(RuntimeError, match=r"missing keys: 'layers\.2\.bias'"):
        b.load_state_dict({k: v for k, v in sd.items() if k != "layers.2.bias"})


def test_train_eval_reach_every_member():
    t = Tower()
    t.eval()
    assert not t.heads["drop"].training and not t.layers[0].training and not t.layers.training
    t.train()
    assert t.heads["drop"].training and t.layers[2].training


def test_an_optimizer_trains_parameters_held_in_containers():
    t = Tower()
    x = mg.tensor(np.random.default_rng(1).standard_normal((8, 2)).astype(np.float32))
    before = {k: v.copy() for k, v in t.state_dict().items()}
    opt = optim.SGD(t.parameters(), lr=0.1)
    (t(x) ** 2).mean().backward()
    opt.step()
    changed = [k for k, v in t.state_dict().items() if not np.array_equal(v, before[k])]
    assert "layers.2.weight" in changed and "scales.0" in changed and "offsets.a" in changed


def test_matches_pytorch_names():
    torch = pytest.importorskip("torch", reason="torch is needed to compare parameter names with PyTorch")
    tn = torch.nn

    class TorchTower(tn.Module):
        def __init__(self, sizes=(2, 4, 3, 1)):
            super().__init__()
            self.layers = tn.ModuleList([tn.Linear(a, b) for a, b in zip(sizes, sizes[1:])])
            self.heads = tn.ModuleDict({"score": tn.Linear(1, 1), "drop": tn.Dropout(0.5)})
            self.scales = tn.ParameterList([tn.Parameter(torch.ones(1)), tn.Parameter(torch.ones(2))])
            self.offsets = tn.ParameterDict({"a": tn.Parameter(torch.ones(1))})

    assert [n for n, _ in TorchTower().named_parameters()] == NAMES


# --------------------------------------------------------------------- ModuleList as a list
def test_module_list_indexing():
    mods = [nn.Linear(1, 1), nn.ReLU(), nn.Tanh()]
    ml = nn.ModuleList(mods)
    assert len(ml) == 3 and list(ml) == mods
    assert ml[0] is mods[0] and ml[-1] is mods[2] and ml[-3] is mods[0]
    assert ml[np.int64(1)] is mods[1]
    part = ml[1:]
    assert isinstance(part, nn.ModuleList) and list(part) == mods[1:] and list(part._modules) == ["0", "1"]
    assert list(ml[::-1]) == mods[::-1]
    with pytest.raises(IndexError, match="ModuleList: index 3 is out of range for 3"):
        ml[3]
    with pytest.raises(IndexError, match="-4"):
        ml[-4]
    with pytest.raises(TypeError, match="ModuleList: indices must be ints or slices, got str"):
        ml["0"]


def test_module_list_mutation_renumbers():
    a, b, c, d = nn.Linear(1, 1), nn.Linear(1, 2), nn.Linear(2, 1), nn.Identity()
    ml = nn.ModuleList()
    assert len(ml) == 0 and list(ml) == []
    assert ml.append(a) is ml
    ml.extend([b, c])
    ml.insert(1, d)
    assert list(ml) == [a, d, b, c]
    assert [n for n, _ in ml.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias",
                                                     "3.weight", "3.bias"]
    del ml[1]
    assert list(ml) == [a, b, c] and list(ml._modules) == ["0", "1", "2"]
    assert not hasattr(ml, "3")
    ml[-1] = d
    assert list(ml) == [a, b, d]
    assert ml.pop() is d and ml.pop(0) is a and list(ml) == [b]
    ml += [c, d]
    assert list(ml) == [b, c, d]
    both = ml + nn.ModuleList([a])
    assert list(both) == [b, c, d, a] and list(ml) == [b, c, d]
    del ml[0:2]
    assert list(ml) == [d] and list(ml._modules) == ["0"]
    ml.insert(-5, a)  # as list.insert: clamps
    ml.insert(100, b)
    assert list(ml) == [a, d, b]


def test_module_list_rejects_non_modules_without_changing():
    ml = nn.ModuleList([nn.ReLU()])
    with pytest.raises(TypeError, match="ModuleList.append: expected a Module, got int"):
        ml.append(3)
    with pytest.raises(TypeError, match="ModuleList.extend: expected a Module, got function"):
        ml.extend([nn.Tanh(), lambda x: x])
    with pytest.raises(TypeError, match=r"ModuleList.extend: expected an iterable of Modules, got Linear \(use append"):
        ml.extend(nn.Linear(1, 1))
    with pytest.raises(TypeError, match="ModuleList"):
        nn.ModuleList([nn.ReLU(), "relu"])
    with pytest.raises(TypeError, match=r"ModuleList \+="):
        ml += [None]
    assert len(ml) == 1  # nothing half-added
    with pytest.raises(NotImplementedError, match="container"):
        ml(mg.ones(1))


def test_module_list_extend_with_a_sequential_takes_its_members():
    seq = nn.Sequential(nn.Linear(1, 2), nn.ReLU())
    ml = nn.ModuleList().extend(seq)
    assert list(ml) == list(seq)


def test_shared_member_counted_once():
    lin = nn.Linear(2, 2)
    ml = nn.ModuleList([lin, lin])
    assert len(ml) == 2 and len(list(ml.parameters())) == 2


def test_deepcopy_of_containers():
    t = Tower()
    c = copy.deepcopy(t)
    assert [n for n, _ in c.named_parameters()] == NAMES
    c.layers[0].weight.data[...] = 0
    assert np.any(t.layers[0].weight.data != 0)


# --------------------------------------------------------------------- ModuleDict as a mapping
def test_module_dict_mapping_methods():
    enc, dec = nn.Linear(2, 3), nn.Linear(3, 2)
    md = nn.ModuleDict([("enc", enc), ("dec", dec)])  # pairs, in order
    assert len(md) == 2 and list(md) == ["enc", "dec"] and md.keys() == ["enc", "dec"]
    assert md.values() == [enc, dec] and md.items() == [("enc", enc), ("dec", dec)]
    assert md["enc"] is enc and md.enc is enc and "dec" in md and "x" not in md and 3 not in md
    assert md.get("x") is None and md.get("enc") is enc
    md["act"] = nn.ReLU()
    md.update({"dec": nn.Identity(), "out": nn.Linear(2, 1)})
    assert md.keys() == ["enc", "dec", "act", "out"] and isinstance(md["dec"], nn.Identity)
    assert [n for n, _ in md.named_parameters()] == ["enc.weight", "enc.bias", "out.weight", "out.bias"]
    assert md.pop("enc") is enc and "enc" not in md and not hasattr(md, "enc")
    del md["act"]
    assert md.keys() == ["dec", "out"]
    md.update(nn.ModuleDict({"z": nn.Tanh()}))
    assert md.keys() == ["dec", "out", "z"]
    md.clear()
    assert len(md) == 0 and list(md.parameters()) == []


def test_module_dict_errors():
    md = nn.ModuleDict({"a": nn.ReLU()})
    with pytest.raises(KeyError, match=r"ModuleDict: no key 'b' \(keys: \['a'\]\)"):
        md["b"]
    with pytest.raises(KeyError, match="'b'"):
        del md["b"]
    with pytest.raises(TypeError, match="ModuleDict: expected a Module, got float"):
        md["c"] = 1.0
    with pytest.raises(TypeError, match="name must be a string"):
        md[0] = nn.ReLU()
    with pytest.raises(KeyError, match=r"'a\.b'"):
        md["a.b"] = nn.ReLU()
    with pytest.raises(KeyError, match="'keys' already exists"):
        md["keys"] = nn.ReLU()  # would hide the method
    with pytest.raises(KeyError, match="'training' already exists"):
        md["training"] = nn.ReLU()
    with pytest.raises(TypeError, match=r"ModuleDict.update: element 1 must be a \(key, Module\) pair"):
        md.update([("x", nn.ReLU()), ("y",)])
    with pytest.raises(TypeError, match="ModuleDict.update: expected a Module, got str"):
        md.update({"x": nn.ReLU(), "y": "relu"})
    with pytest.raises(TypeError, match="ModuleDict.update: expected a mapping"):
        md.update(nn.ReLU())
    assert md.keys() == ["a"]  # failed updates add nothing


# --------------------------------------------------------------------- parameter containers
def test_parameter_list_and_dict():
    p, q = nn.Parameter([1.0]), nn.Parameter([2.0])
    pl = nn.ParameterList([p])
    pl.append(q)
    assert list(pl) == [p, q] and pl[-1] is q and [n for n, _ in pl.named_parameters()] == ["0", "1"]
    del pl[0]
    assert list(pl) == [q] and [n for n, _ in pl.named_parameters()] == ["0"]
    with pytest.raises(TypeError, match=r"ParameterList.append: expected a Parameter, got Tensor \(wrap it"):
        pl.append(mg.ones(2))
    with pytest.raises(TypeError, match="use append"):
        pl.extend(p)  # a Tensor is iterable, but that is not what was meant
    pd = nn.ParameterDict({"w": p})
    pd["v"] = q
    assert pd.items() == [("w", p), ("v", q)] and list(pd.parameters()) == [p, q]
    assert "(w): Parameter(shape=(1,)" in repr(pd)


# --------------------------------------------------------------------- plain containers are refused
@pytest.mark.parametrize("value, kind, use", [
    ([nn.Linear(1, 1), nn.ReLU()], "list of modules", r"nn\.ModuleList"),
    ((nn.Linear(1, 1),), "tuple of modules", r"nn\.ModuleList"),
    ({"enc": nn.Linear(1, 1)}, "dict of modules", r"nn\.ModuleDict"),
    ([nn.Parameter([1.0])], "list of parameters", r"nn\.ParameterList"),
    ({"w": nn.Parameter([1.0])}, "dict of parameters", r"nn\.ParameterDict"),
    ([1, nn.Parameter([1.0]), nn.ReLU()], "list of modules", r"nn\.ModuleList"),
])
def test_plain_container_of_modules_is_a_type_error(value, kind, use):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = value

    with pytest.raises(TypeError, match=f"Net: attribute 'blocks' is a plain {kind}.*not be registered.*{use}"):
        Net()


def test_plain_containers_of_other_things_are_fine():
    m = nn.Module()
    m.sizes = [1, 2, 3]
    m.kernel = (3, 3)
    m.config = {"act": "relu", "tensor": mg.ones(2)}  # plain tensors are not registered either way
    m.empty = []
    assert m.sizes == [1, 2, 3] and list(m.parameters()) == []
