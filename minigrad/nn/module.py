"""Module and Parameter: the containers that hold a model's learnable tensors.

A `Module` registers what is assigned to its attributes: a `Parameter` goes into `_parameters`,
a `Module` into `_modules` (both ordered, by assignment order). Registered values are also kept in
the instance `__dict__`, so reading `self.weight` in `forward` is a plain attribute lookup (no
`__getattr__` detour in the training loop). Assigning, replacing and deleting go through
`__setattr__`/`__delattr__`, which keep the registry and `__dict__` in step.

A plain list, tuple or dict holding modules or parameters is refused at assignment (its members would
not be registered, so they would never train or be saved): the containers `ModuleList`, `ModuleDict`,
`ParameterList` and `ParameterDict` register their members under their keys ("layers.0.weight").
"""
from __future__ import annotations

from collections import OrderedDict, namedtuple
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple, Union

import numpy as np

from ..autograd.graph import note_writes
from ..autograd.mode import no_grad
from ..tensor import Tensor, get_default_dtype, written
from .utils import _zero_grads

__all__ = ["Module", "Parameter", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]


class Parameter(Tensor):
    """A leaf Tensor that a Module registers as learnable (requires_grad=True by default, float only).

    From a Tensor or ndarray the values are copied and the dtype kept; from Python numbers or lists
    the default float dtype is used.
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        if isinstance(data, Tensor):
            arr = data.data
        elif isinstance(data, (np.ndarray, np.generic)):
            arr = np.asarray(data)
        else:
            arr = np.array(data)
            if arr.dtype.kind in "iuf":  # Python numbers/lists: the default float dtype
                arr = arr.astype(get_default_dtype())
        if arr.dtype.kind != "f":
            raise TypeError(f"Parameter: only float data can be a parameter, got dtype {arr.dtype}")
        super().__init__(arr, requires_grad=requires_grad)  # copies: never aliases the caller's array

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Parameter(", threshold=200)
        extra = "" if self.data.dtype == get_default_dtype() else f", dtype={self.data.dtype}"
        if not self.requires_grad:
            extra += ", requires_grad=False"
        return f"Parameter({body}{extra})"


LoadResult = namedtuple("LoadResult", ["missing_keys", "unexpected_keys"])
LoadResult.__doc__ = "What load_state_dict(strict=False) skipped: the missing and the unexpected keys."


class Module:
    """Base class of every layer and model: override `forward`; call the module to run it.

    Sub-modules and `Parameter`s assigned as attributes are registered (plain Tensors are not);
    `register_buffer` stores non-learnable arrays that belong in the state dict (e.g. running stats).
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "training", True)

    # ----------------------------------------------------------------- registration
    def _registries(self) -> Tuple[dict, dict, dict]:
        try:
            d = self.__dict__
            return d["_parameters"], d["_modules"], d["_buffers"]
        except KeyError:
            raise RuntimeError(f"{type(self).__name__}: Module.__init__() must be called (super().__init__()) "
                               "before assigning parameters, sub-modules or buffers") from None

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails: registered values live in __dict__ too.
        if name in ("_parameters", "_modules", "_buffers", "training"):
            raise AttributeError(f"{type(self).__name__} has no '{name}': Module.__init__() must be called "
                                 "(super().__init__()) in its __init__")
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Parameter):
            params, mods, bufs = self._registries()
            mods.pop(name, None)
            bufs.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            params, mods, bufs = self._registries()
            params.pop(name, None)
            bufs.pop(name, None)
            mods[name] = value
        else:
            d = self.__dict__
            if name in d.get("_parameters", ()):
                if value is not None:
                    raise TypeError(f"{type(self).__name__}: cannot assign {type(value).__name__} to parameter "
                                    f"'{name}' (expected a Parameter or None)")
                d["_parameters"][name] = None
            elif name in d.get("_modules", ()):
                if value is not None:
                    raise TypeError(f"{type(self).__name__}: cannot assign {type(value).__name__} to sub-module "
                                    f"'{name}' (expected a Module or None)")
                d["_modules"][name] = None
            elif name in d.get("_buffers", ()):
                value = _as_buffer(value, name)
                d["_buffers"][name] = value
            elif isinstance(value, (list, tuple, dict)):
                _refuse_plain_container(self, name, value)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for reg in ("_parameters", "_modules", "_buffers"):
            self.__dict__.get(reg, {}).pop(name, None)
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Optional[Parameter]) -> None:
        """Register `param` (a Parameter, or None for an absent one such as bias=False) under `name`."""
        _check_name(self, name, "register_parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: '{name}' must be a Parameter or None, got {type(param).__name__}")
        params, mods, bufs = self._registries()
        mods.pop(name, None)
        bufs.pop(name, None)
        params[name] = param
        object.__setattr__(self, name, param)

    def add_module(self, name: str, module: Optional["Module"]) -> None:
        """Register a sub-module (or None) under `name`; names may be any string, e.g. '0' in Sequential."""
        _check_name(self, name, "add_module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: '{name}' must be a Module or None, got {type(module).__name__}")
        params, mods, bufs = self._registries()
        params.pop(name, None)
        bufs.pop(name, None)
        mods[name] = module
        object.__setattr__(self, name, module)

    def register_buffer(self, name: str, array: Any) -> None:
        """Register a non-learnable array (or None) under `name`; it is saved in the state dict."""
        _check_name(self, name, "register_buffer")
        params, mods, bufs = self._registries()
        if name in params or name in mods:
            raise KeyError(f"register_buffer: '{name}' is already a parameter or sub-module")
        value = _as_buffer(array, name)
        bufs[name] = value
        object.__setattr__(self, name, value)

    # ----------------------------------------------------------------- traversal
    def named_children(self) -> Iterator[Tuple[str, "Module"]]:
        """(name, module) for each direct sub-module, each module once."""
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator["Module"]:
        """The direct sub-modules."""
        for _, m in self.named_children():
            yield m

    def named_modules(self, prefix: str = "") -> Iterator[Tuple[str, "Module"]]:
        """(dotted name, module) for this module ('' or `prefix`) and every descendant, pre-order, each once."""
        for name, m in _walk(self, prefix, dedupe=True):
            yield name, m

    def modules(self) -> Iterator["Module"]:
        """This module and every descendant, each once."""
        for _, m in self.named_modules():
            yield m

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[Tuple[str, Parameter]]:
        """(dotted name, Parameter) for every parameter, a shared one only under its first name."""
        seen = set()
        walk = _walk(self, prefix, dedupe=True) if recurse else iter([(prefix, self)])
        for mod_name, m in walk:
            for name, p in m._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{mod_name}.{name}" if mod_name else name), p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter, each once even if shared between sub-modules."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "") -> Iterator[Tuple[str, np.ndarray]]:
        """(dotted name, array) for every registered buffer."""
        for mod_name, m in _walk(self, prefix, dedupe=True):
            for name, b in m._buffers.items():
                if b is not None:
                    yield (f"{mod_name}.{name}" if mod_name else name), b

    def buffers(self) -> Iterator[np.ndarray]:
        for _, b in self.named_buffers():
            yield b

    def apply(self, fn: Callable[["Module"], Any]) -> "Module":
        """Call fn on every descendant (children first) and then on self; returns self (e.g. custom init)."""
        for _, m in reversed(list(self.named_modules())):
            fn(m)
        return self

    # ----------------------------------------------------------------- modes and grads
    def train(self, mode: bool = True) -> "Module":
        """Set training mode on this module and every descendant (Dropout etc. read `self.training`)."""
        if not isinstance(mode, bool):
            raise ValueError(f"train: mode must be a bool, got {mode!r}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> "Module":
        """train(False): evaluation mode for this module and every descendant."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient: to None (the default, as PyTorch), or with
        `set_to_none=False` to zeros written into the existing gradient arrays."""
        _zero_grads(self.parameters(), set_to_none)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        """Freeze (False) or unfreeze (True) every parameter; returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    # ----------------------------------------------------------------- state
    def _state_entries(self) -> "OrderedDict[str, Tuple[Any, str]]":
        """Every state-dict entry: dotted name -> (Parameter or owning module, kind). Shared values
        appear under each of their names, as in PyTorch, so that any name can be loaded."""
        out: "OrderedDict[str, Tuple[Any, str]]" = OrderedDict()
        for mod_name, m in _walk(self, "", dedupe=False):
            pre = mod_name + "." if mod_name else ""
            for name, p in m._parameters.items():
                if p is not None:
                    out[pre + name] = (p, "param")
            for name, b in m._buffers.items():
                if b is not None:
                    out[pre + name] = ((m, name), "buffer")
        return out

    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """Ordered dict: dotted name -> a COPY of each parameter's and buffer's array."""
        out = OrderedDict()
        for key, (ref, kind) in self._state_entries().items():
            arr = ref.data if kind == "param" else ref[0]._buffers[ref[1]]
            out[key] = np.array(arr, copy=True)
        return out

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> LoadResult:
        """Copy arrays/tensors from `state` into the parameters (their own dtype; never aliasing `state`).

        Validates everything first: a RuntimeError lists every missing key, every unexpected key
        (both ignored when strict=False) and every shape mismatch with both shapes; on error nothing
        is modified. Returns (missing_keys, unexpected_keys).
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict: expected a mapping of names to arrays, got {type(state).__name__}")
        entries = self._state_entries()
        missing = [k for k in entries if k not in state]
        unexpected = [k for k in state if k not in entries]
        problems: List[str] = []
        values: Dict[str, np.ndarray] = {}
        for key, (ref, kind) in entries.items():
            if key not in state:
                continue
            value = state[key]
            arr = value.data if isinstance(value, Tensor) else np.asarray(value)
            target = ref.data if kind == "param" else ref[0]._buffers[ref[1]]
            if arr.dtype.kind not in "biuf":
                problems.append(f"  bad dtype for '{key}': got {arr.dtype}, expected a numeric array")
            elif arr.shape != target.shape:
                problems.append(f"  shape mismatch for '{key}': got {arr.shape} in the state dict, "
                                f"expected {target.shape} in the model")
            else:
                values[key] = arr
        if strict:
            keys = [("missing", missing), ("unexpected", unexpected)]
            problems = [f"  {what} keys: " + ", ".join(repr(k) for k in ks) for what, ks in keys if ks] + problems
        if problems:
            raise RuntimeError(f"load_state_dict: error(s) loading state into {type(self).__name__} "
                               "(nothing was modified):\n" + "\n".join(problems))
        with no_grad():
            for key, arr in values.items():
                ref, kind = entries[key]
                if kind == "param":
                    _copy_into(ref, arr)
                else:
                    owner, name = ref
                    buf = owner._buffers[name]
                    if buf.flags.writeable:
                        np.copyto(buf, arr, casting="unsafe")
                        note_writes((buf,))  # (the name bound at import: compile checks buffers itself)
                    else:
                        owner.__setattr__(name, arr.astype(buf.dtype, copy=True))
        return LoadResult(missing, unexpected)

    # ----------------------------------------------------------------- running and printing
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation; subclasses override it."""
        raise NotImplementedError(f"{type(self).__name__}: forward() is not implemented")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def extra_repr(self) -> str:
        """The text inside this module's parentheses in repr, e.g. 'in_features=784, out_features=50, bias=True'."""
        return ""

    def __repr__(self) -> str:
        lines = []
        # Modules that describe themselves through extra_repr (Linear, ...) own their one line;
        # the others list their own parameters and buffers with shapes.
        if type(self).extra_repr is Module.extra_repr:
            for name, p in self._parameters.items():
                desc = "None" if p is None else f"Parameter(shape={p.shape}, dtype={p.dtype})"
                lines.append(f"({name}): {desc}")
            for name, b in self._buffers.items():
                if b is not None:
                    lines.append(f"({name}): buffer(shape={b.shape}, dtype={b.dtype})")
        for name, m in self._modules.items():
            lines.append(f"({name}): " + repr(m).replace("\n", "\n  "))
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


# --------------------------------------------------------------------- containers
class _ListContainer(Module):
    """Members registered in order under the names "0", "1", ...; list-like (ModuleList, ParameterList).

    A subclass says which registry holds the members and how one is checked and registered. Inserting or
    deleting renumbers the members after it, so the names always run 0..len-1 (as in PyTorch).
    """

    _REGISTRY = "_modules"

    def __init__(self, values: Optional[Iterable[Any]] = None) -> None:
        super().__init__()
        if values is not None:
            self._extend(values, type(self).__name__)

    # what a subclass defines
    def _accept(self, value: Any, where: str) -> Any:
        raise NotImplementedError

    def _register(self, name: str, value: Any) -> None:
        raise NotImplementedError

    # the list protocol
    def _members(self) -> list:
        return list(self.__dict__[self._REGISTRY].values())

    def _reset(self, members: list) -> None:
        for name in list(self.__dict__[self._REGISTRY]):
            delattr(self, name)
        for i, m in enumerate(members):
            self._register(str(i), m)

    def _position(self, index: Any, where: str) -> int:
        if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"{where}: indices must be ints or slices, got {type(index).__name__}")
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"{where}: index {index} is out of range for {n} members")
        return int(index) % n

    def __len__(self) -> int:
        return len(self.__dict__[self._REGISTRY])

    def __iter__(self) -> Iterator[Any]:
        return iter(self._members())

    def __getitem__(self, index: Union[int, slice]) -> Any:
        """The member at `index` (negative counts from the end); a slice gives a new container of the same members."""
        if isinstance(index, slice):
            return type(self)(self._members()[index])
        return self.__dict__[str(self._position(index, type(self).__name__))]

    def __setitem__(self, index: int, value: Any) -> None:
        where = type(self).__name__
        i = self._position(index, where)
        self._register(str(i), self._accept(value, where))

    def __delitem__(self, index: Union[int, slice]) -> None:
        members = self._members()
        if isinstance(index, slice):
            del members[index]
        else:
            del members[self._position(index, type(self).__name__)]
        self._reset(members)

    def append(self, value: Any) -> "_ListContainer":
        """Add `value` at the end; returns self."""
        self._register(str(len(self)), self._accept(value, f"{type(self).__name__}.append"))
        return self

    def extend(self, values: Iterable[Any]) -> "_ListContainer":
        """Append every member of `values`; returns self."""
        return self._extend(values, f"{type(self).__name__}.extend")

    def _extend(self, values: Iterable[Any], where: str) -> "_ListContainer":
        if isinstance(values, (Tensor, str, bytes, Mapping)) or not hasattr(values, "__iter__"):
            raise TypeError(f"{where}: expected an iterable of {self._NOUN}s, got {type(values).__name__}"
                            + (" (use append for one)" if isinstance(values, (Tensor, Module)) else ""))
        values = [self._accept(v, where) for v in values]  # all checked before any is added
        for v in values:
            self._register(str(len(self)), v)
        return self

    def insert(self, index: int, value: Any) -> None:
        """Insert `value` before position `index` (as list.insert); later members are renumbered."""
        where = f"{type(self).__name__}.insert"
        if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"{where}: index must be an int, got {type(index).__name__}")
        members = self._members()
        members.insert(int(index), self._accept(value, where))
        self._reset(members)

    def pop(self, index: int = -1) -> Any:
        """Remove and return the member at `index` (the last by default)."""
        value = self[index]
        del self[index]
        return value

    def __iadd__(self, values: Iterable[Any]) -> "_ListContainer":
        return self._extend(values, f"{type(self).__name__} +=")

    def __add__(self, other: Iterable[Any]) -> "_ListContainer":
        out = type(self)(self._members())
        return out._extend(other, f"{type(self).__name__} +")

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} is a container, not a layer: call its members "
                                  "(for m in container: x = m(x)) or use Sequential")


class _DictContainer(Module):
    """Members registered under string keys, in insertion order; dict-like (ModuleDict, ParameterDict)."""

    _REGISTRY = "_modules"

    def __init__(self, values: Optional[Any] = None) -> None:
        super().__init__()
        if values is not None:
            self.update(values)

    def _accept(self, value: Any, where: str) -> Any:
        raise NotImplementedError

    def _register(self, name: str, value: Any) -> None:
        raise NotImplementedError

    def _entries(self) -> "OrderedDict[str, Any]":
        return self.__dict__[self._REGISTRY]

    def __getitem__(self, key: str) -> Any:
        entries = self._entries()
        if key not in entries:
            raise KeyError(f"{type(self).__name__}: no key {key!r} (keys: {list(entries)})")
        return entries[key]

    def __setitem__(self, key: str, value: Any) -> None:
        where = type(self).__name__
        _check_name(self, key, where)
        self._register(key, self._accept(value, where))

    def __delitem__(self, key: str) -> None:
        self[key]  # KeyError naming the keys when absent
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._entries())

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._entries()))

    def __contains__(self, key: Any) -> bool:
        return key in self._entries()

    def keys(self) -> List[str]:
        """The keys, in insertion order."""
        return list(self._entries().keys())

    def values(self) -> List[Any]:
        """The members, in insertion order."""
        return list(self._entries().values())

    def items(self) -> List[Tuple[str, Any]]:
        """(key, member) pairs, in insertion order."""
        return list(self._entries().items())

    def get(self, key: str, default: Any = None) -> Any:
        """The member under `key`, or `default`."""
        return self._entries().get(key, default)

    def pop(self, key: str) -> Any:
        """Remove and return the member under `key`."""
        value = self[key]
        del self[key]
        return value

    def clear(self) -> None:
        """Remove every member."""
        for key in self.keys():
            delattr(self, key)

    def update(self, values: Any) -> None:
        """Add or replace members from a mapping, or from an iterable of (key, member) pairs; all are checked first."""
        where = f"{type(self).__name__}.update"
        if isinstance(values, Mapping):
            pairs = list(values.items())
        elif isinstance(values, _DictContainer):
            pairs = values.items()
        elif isinstance(values, (str, bytes, Tensor, Module)) or not hasattr(values, "__iter__"):
            raise TypeError(f"{where}: expected a mapping or (key, {self._NOUN}) pairs, got {type(values).__name__}")
        else:
            pairs = []
            for i, pair in enumerate(values):
                if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                    raise TypeError(f"{where}: element {i} must be a (key, {self._NOUN}) pair, "
                                    f"got {type(pair).__name__}")
                pairs.append(tuple(pair))
        for key, value in pairs:
            _check_name(self, key, where)
            self._accept(value, where)
        for key, value in pairs:
            self._register(key, value)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} is a container, not a layer: call its members "
                                  "(container[key](x))")


class _HoldsModules:
    """Mixin: the members are Modules, kept in `_modules`."""

    _REGISTRY = "_modules"
    _NOUN = "Module"

    def _accept(self, value: Any, where: str) -> "Module":
        if not isinstance(value, Module):
            raise TypeError(f"{where}: expected a Module, got {type(value).__name__}")
        return value

    def _register(self, name: str, value: "Module") -> None:
        Module.add_module(self, name, value)  # type: ignore[arg-type]


class _HoldsParameters:
    """Mixin: the members are Parameters, kept in `_parameters`."""

    _REGISTRY = "_parameters"
    _NOUN = "Parameter"

    def _accept(self, value: Any, where: str) -> Parameter:
        if not isinstance(value, Parameter):
            hint = " (wrap it: nn.Parameter(t))" if isinstance(value, (Tensor, np.ndarray)) else ""
            raise TypeError(f"{where}: expected a Parameter, got {type(value).__name__}{hint}")
        return value

    def _register(self, name: str, value: Parameter) -> None:
        Module.register_parameter(self, name, value)  # type: ignore[arg-type]


class ModuleList(_HoldsModules, _ListContainer):
    """A list of sub-modules, registered as "0", "1", ... (state-dict keys "layers.0.weight"): index (negative
    and slices too), iterate, len, append, extend, insert, pop, del, `+=`. train()/eval() reach every member."""

    def __init__(self, modules: Optional[Iterable[Module]] = None) -> None:
        super().__init__(modules)


class ParameterList(_HoldsParameters, _ListContainer):
    """A list of Parameters, registered as "0", "1", ... (names "weights.0"); list operations as ModuleList."""

    def __init__(self, values: Optional[Iterable[Parameter]] = None) -> None:
        super().__init__(values)


class ModuleDict(_HoldsModules, _DictContainer):
    """A dict of sub-modules under string keys (state-dict keys "blocks.encoder.weight"), in insertion order:
    `d[key]`, `d[key] = m`, `del d[key]`, `in`, len, iteration over keys, keys/values/items, get, pop, update, clear."""

    def __init__(self, modules: Optional[Any] = None) -> None:
        super().__init__(modules)


class ParameterDict(_HoldsParameters, _DictContainer):
    """A dict of Parameters under string keys (names "scales.a"); dict operations as ModuleDict."""

    def __init__(self, values: Optional[Any] = None) -> None:
        super().__init__(values)


# --------------------------------------------------------------------- helpers
def _walk(root: Module, prefix: str, dedupe: bool) -> Iterator[Tuple[str, Module]]:
    """Pre-order (dotted name, module) over the tree, iteratively; with dedupe each module once."""
    seen = set()
    stack: List[Tuple[str, Module]] = [(prefix, root)]
    while stack:
        name, m = stack.pop()
        if dedupe:
            if id(m) in seen:
                continue
            seen.add(id(m))
        yield name, m
        kids = [((f"{name}.{k}" if name else k), c) for k, c in m._modules.items() if c is not None]
        stack.extend(reversed(kids))


def _refuse_plain_container(module: Module, name: str, value: Any) -> None:
    """A plain list/tuple/dict of modules or parameters is not registered: raise rather than drop it silently."""
    members = value.values() if isinstance(value, dict) else value
    has_module = has_param = False
    for v in members:
        has_module = has_module or isinstance(v, Module)
        has_param = has_param or isinstance(v, Parameter)
    if not (has_module or has_param):
        return
    kind = type(value).__name__
    if isinstance(value, dict):
        use = "nn.ModuleDict({...})" if has_module else "nn.ParameterDict({...})"
    else:
        use = "nn.ModuleList([...])" if has_module else "nn.ParameterList([...])"
    held = "modules" if has_module else "parameters"
    raise TypeError(f"{type(module).__name__}: attribute '{name}' is a plain {kind} of {held}, which would not be "
                    f"registered (its {held} would not train, be saved, or follow train()/eval()); "
                    f"use {use} instead")


def _check_name(module: Module, name: Any, where: str) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{where}: name must be a string, got {type(name).__name__}")
    if not name or "." in name:
        raise KeyError(f"{where}: name must be non-empty and contain no '.', got {name!r}")
    if hasattr(module, name) and not any(name in module.__dict__.get(r, ())
                                         for r in ("_parameters", "_modules", "_buffers")):
        raise KeyError(f"{where}: attribute '{name}' already exists on {type(module).__name__}")


def _as_buffer(value: Any, name: str) -> Optional[np.ndarray]:
    if value is None:
        return None
    arr = np.array(value.data if isinstance(value, Tensor) else value)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"register_buffer: buffer '{name}' must be numeric, got dtype {arr.dtype}")
    return arr


def _copy_into(p: Parameter, arr: np.ndarray) -> None:
    """Write `arr` into p's array in place (cast to p's dtype); replace the array only if it is read-only."""
    if p.data.flags.writeable:
        np.copyto(p.data, arr, casting="unsafe")
        written(p)
    else:
        p.data = np.array(arr, dtype=p.data.dtype, copy=True)
