"""Tracing one call of a function for `minigrad.compile`: what it did to tensors, in program order.

While `trace_call` runs the function, every op call on tensors reaches `Tracer.op` through the one hook
in the definition of recording (autograd/function.py); `Optimizer.step` and `nn.utils._zero_grads`
(behind every zero_grad) report themselves, since an optimizer's methods are often passed around
pre-bound. A few more entry points are wrapped for the duration (threads that are not tracing pass
straight through): `Tensor.backward`, assignments to `.grad`, tensors made from traced data, in-place
tensor methods (`__setitem__`, `add_`, `-=` ...) and writes announced with
`graph.note_writes`. What a replay could not reproduce raises `TracingError` naming it: reading a value
into Python (`item()`, `bool()`, `float()`, `numpy()` ...: a branch taken on it would be frozen),
`grad()` and `create_graph`, hooks, draws from minigrad's shared generator, writes that bypass these
paths, and arrays computed from the arguments with numpy outside ops.
"""
from __future__ import annotations

import inspect
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional

import numpy as np

from .. import rng as _rng
from ..autograd import engine as _engine, function as _function, graph as _graph
from ..autograd.function import FunctionOp
from ..autograd.graph import inputs_of
from ..autograd.mode import state as _mode
from ..nn.module import Module
from ..optim.optimizer import Optimizer
from ..tensor import Tensor, _wrap
from .inline import identifier


class TracingError(RuntimeError):
    """The function does something that a compiled replay could not reproduce."""


class Traced(np.ndarray):
    """An argument's array while tracing. numpy results computed from it are `Traced` as well, so an
    array that reaches an op after numpy work outside minigrad is recognised (it would be frozen). Each
    is noted with the tracer: `np.asarray` hands out plain views of them, which share their memory."""

    def __array_finalize__(self, obj: Any) -> None:
        tracer = _mode.tracer
        if tracer is not None:
            tracer.traced_arrays.append(self)


# --------------------------------------------------------------------------- events, in program order

@dataclass(eq=False)
class OpCall:
    """One call of a primitive on tensors: the op, its numpy forward, inputs, attributes, result."""
    op: Any
    forward: Callable
    inputs: tuple
    attrs: Optional[dict]
    out: Tensor
    saved: Any
    ctx_saved: Any = None  # a custom Function's saved values (its ctx releases them after backward)


@dataclass(eq=False)
class Backward:
    """`root.backward(grad)`: the engine's order and, per node, which inputs get a gradient."""
    root: Tensor
    grad: Any
    order: list
    wants: Dict[Tensor, tuple]


@dataclass(eq=False)
class GradSet:
    """The function assigned `tensor.grad = value` (None or a tensor)."""
    tensor: Tensor
    value: Any


@dataclass(eq=False)
class Delivered:
    """After a backward: the `.grad` tensor object each leaf holds (so that reading it can be followed)."""
    backward: Backward
    grads: Dict[Tensor, Tensor]


@dataclass(eq=False)
class ZeroGrad:
    """`zero_grad(set_to_none)` of an optimizer or a module, on these parameters."""
    params: list
    set_to_none: bool


@dataclass(eq=False)
class OptimizerStep:
    """`optimizer.step()`; `with_grad`: which of its parameters had a .grad then (those it updates);
    `bumps`: the step bumped their versions (counted as in-place writes)."""
    optimizer: Optimizer
    with_grad: list
    bumps: bool


@dataclass(eq=False)
class InPlace:
    """An in-place tensor method: `t[index] = v`, `t.add_(v)`, `t -= v` under no_grad ..."""
    tensor: Tensor
    method: str
    args: tuple


@dataclass(eq=False)
class Convert:
    """`Tensor(data)` (or `minigrad.tensor`) made from a traced value: a copy, possibly cast."""
    out: Tensor
    source: Any


@dataclass
class Trace:
    """Everything `trace` learnt: the events, the stand-ins given for the arguments, the result."""
    events: list
    args: tuple  # what the function received: stand-in tensors, Traced arrays, static values
    result: Any
    externals: Dict[int, Tensor]  # id -> tensor that the function read but did not make (parameters, ...)
    traced_arrays: list  # the arguments' arrays and every array numpy computed from them during the call
    local_names: Dict[int, str]  # id(tensor) -> the variable name it had in the function (for .source)
    reached_names: Dict[int, str]  # id -> the name of a tensor, module or optimizer that fn reaches
    keep: list = field(default_factory=list)  # everything whose id is used as a key, kept alive


# --------------------------------------------------------------------------- the tracer

# Tensor methods that read a value into Python: a traced function may not branch on them.
_VALUE_READS = ("item", "__bool__", "__float__", "__int__", "__index__", "tolist", "numpy", "__array__",
                "__format__")
# In-place tensor methods (the API's; those that exist are wrapped): replayed with numpy in place.
INPLACE_METHODS = ("__setitem__", "add_", "sub_", "mul_", "div_", "pow_", "clamp_", "clip_", "zero_", "fill_",
                   "copy_", "__iadd__", "__isub__", "__imul__", "__itruediv__")


class Tracer:
    """Collects the events of one traced call (see the module docstring). `inside` names the library
    call in progress (engine, optimizer ...): what happens within it is that call's business."""

    def __init__(self, stand_ins: List[Any]) -> None:
        self.events: list = []
        self.inside: Optional[str] = None
        self.keep: list = list(stand_ins)
        self.made: set = {id(s) for s in stand_ins if isinstance(s, Tensor)}  # tensors the trace produced
        self.externals: Dict[int, Tensor] = {}
        self.first_seen: Dict[int, tuple] = {}  # id -> (tensor, its array then, a copy of the values)
        self.written: set = set()  # ids of tensors whose values a recorded event writes
        self.delivered: Dict[int, tuple] = {}  # id(grad tensor) -> (leaf, a copy of its values)
        self.arg_arrays = [s._data if isinstance(s, Tensor) else s for s in stand_ins
                           if isinstance(s, (Tensor, np.ndarray))]
        self.arg_copies = [np.array(a, copy=True) for a in self.arg_arrays]
        self.out_arrays: Dict[int, np.ndarray] = {}  # id -> the array of an op's result
        self.traced_arrays: List[np.ndarray] = list(self.arg_arrays)  # arrays computed from arguments

    # ----------------------------------------------------------------- what the hooks call
    def op(self, op: Any, forward: Callable, inputs: tuple, attrs: Optional[dict], saved: Any, out: Tensor) -> Tensor:
        """Told of every op call on tensors (by autograd/function.py), once its result `out` is made."""
        if self.inside is not None:
            return out
        y = out._data
        for x in inputs:
            if isinstance(x, Tensor):
                self.see(x)
        ctx_saved = attrs["ctx"]._saved if isinstance(op, FunctionOp) else None
        self.events.append(OpCall(op, forward, inputs, attrs, out, saved, ctx_saved))
        self.made.add(id(out))
        self.out_arrays[id(y)] = y
        self.keep.append(out)
        return out

    def see(self, t: Tensor) -> None:
        """Note a tensor the function uses; one it did not make is an external, whose values are copied
        now so that a write the trace cannot explain is found at the end."""
        if id(t) in self.made or id(t) in self.first_seen:
            return
        self.first_seen[id(t)] = (t, t._data, np.array(t._data, copy=True))
        self.externals[id(t)] = t
        self.keep.append(t)

    def backward(self, original: Callable, tensor: Tensor, grad: Any, retain_graph: bool, create_graph: bool) -> None:
        if create_graph:
            raise TracingError("compile: backward(create_graph=True) cannot be compiled (higher-order gradients "
                               "are not traced); call the function uncompiled")
        self.see(tensor)
        if isinstance(grad, Tensor):
            self.see(grad)
        order = _engine.backward_order(tensor)
        wants: Dict[Tensor, tuple] = {}
        for t in order:
            if id(t) not in self.made:
                raise TracingError(f"compile: backward reaches '{t._op.name}', computed before the compiled function "
                                   "was called; a compiled step must compute everything it differentiates")
            if t._hooks:
                raise TracingError(f"compile: a hook (register_hook or retain_grad) on the result of '{t._op.name}' "
                                   "cannot be compiled; remove it or call the function uncompiled")
            ins = inputs_of(t)
            wants[t] = tuple(isinstance(p, Tensor) and p.requires_grad for p in ins)
            for p in ins:
                if isinstance(p, Tensor) and p._op is None and p.requires_grad:
                    if p._hooks:
                        raise TracingError("compile: a hook (register_hook) on a leaf cannot be compiled; "
                                           "remove it or call the function uncompiled")
                    self.see(p)
        event = Backward(tensor, grad, order, wants)
        self.events.append(event)
        self.keep += [tensor, grad]
        self.inside = "backward"
        try:
            original(tensor, grad, retain_graph=retain_graph, create_graph=create_graph)
        finally:
            self.inside = None
        grads = {}
        for t in order:
            for p, w in zip(inputs_of(t), wants[t]):
                if w and p._op is None and p.grad is not None:
                    g = p.grad
                    grads[p] = g
                    self.delivered[id(g)] = (p, np.array(g._data, copy=True))
                    self.made.add(id(g))
                    self.keep.append(g)
        self.events.append(Delivered(event, grads))

    def grad_set(self, t: Tensor, value: Any) -> None:
        """Any `.grad` assignment (a tensor's construction included: only those of tensors that turn out to be
        arguments or externals matter, and they are told apart when the program is built)."""
        self.events.append(GradSet(t, value))
        self.keep += [t, value]

    def zero_grad(self, parameters: Any, set_to_none: bool) -> None:
        """Called by nn.utils._zero_grads (Optimizer.zero_grad, Module.zero_grad): recorded, then run."""
        from ..nn.utils import _zero_grads
        params = list(parameters)
        for p in params:
            self.see(p)
            if p.grad is not None:
                self.written.add(id(p.grad))
        self.events.append(ZeroGrad(params, set_to_none))
        self._inside("zero_grad", _zero_grads, params, set_to_none)

    def optimizer_step(self, opt: Optimizer, closure: Any) -> Any:
        """Called by Optimizer.step: recorded, then run."""
        if closure is not None:
            raise TracingError(f"compile: {type(opt).__name__}.step(closure) cannot be compiled; compute the loss "
                               "in the compiled function and call step() without a closure")
        for p in opt._params:
            self.see(p)
            self.written.add(id(p))
        event = OptimizerStep(opt, [p.grad is not None for p in opt._params], False)
        self.events.append(event)
        self.keep.append(opt)
        versions = [p._version for p in opt._params]
        result = self._inside("optimizer.step", opt.step)
        event.bumps = any(p._version != v for p, v in zip(opt._params, versions))
        return result

    def inplace(self, original: Callable, method: str, t: Tensor, args: tuple, kwargs: dict) -> Any:
        if kwargs:
            raise TracingError(f"compile: {method}() with keyword arguments {sorted(kwargs)} cannot be compiled")
        if method != "__setitem__" and _mode.grad_enabled and \
                (t.requires_grad or any(isinstance(a, Tensor) and a.requires_grad for a in args)):
            raise TracingError(f"compile: {method} on a tensor that the graph records (grad mode on) cannot be "
                               "compiled; write it out of place, or do the update under minigrad.no_grad()")
        self.see(t)
        for a in args:
            if isinstance(a, Tensor):
                self.see(a)
        self.written.add(id(t))
        result = self._inside(method, original, t, *args)
        self.events.append(InPlace(t, method, args))
        self.keep += [t, args]
        return result

    def convert(self, t: Tensor, data: Any) -> None:
        """A tensor was just made from `data`: from traced data it is a Convert event, from a copy of an
        argument made with numpy it is an error (it would be frozen)."""
        source = data
        if isinstance(data, Tensor):
            if id(data) not in self.made and id(data) not in self.first_seen:
                return
        elif not isinstance(data, np.ndarray) or not self.is_traced_array(data):
            if isinstance(data, np.ndarray) and any(a.shape == data.shape and np.array_equal(a, data)
                                                    for a in self.arg_arrays):
                raise TracingError(f"compile: a tensor of shape {data.shape} was made from a numpy copy of an "
                                   "argument; make it with minigrad.tensor(argument) or pass a tensor, so that "
                                   "each call uses its own argument")
            return
        self.events.append(Convert(t, source))
        self.made.add(id(t))
        self.keep += [t, data]

    def is_traced_array(self, a: np.ndarray) -> bool:
        """An op's result, an argument's array, an array computed from one, or a view of one."""
        return (id(a) in self.out_arrays or isinstance(a, Traced)
                or any(np.may_share_memory(a, b) for b in self.traced_arrays))

    def write(self, original: Callable, arrays: Any) -> None:
        if self.inside is None:
            raise TracingError(f"compile: the function writes into an array of shape {np.shape(arrays[0])} in place "
                               "outside the operations compile follows (assigning .data, clip_grad_norm_ ...); "
                               "update parameters with an optimizer, or with in-place tensor methods under no_grad")
        original(arrays)

    def value_read(self, method: str, t: Tensor, args: tuple) -> None:
        if self.inside is None and not (method == "__format__" and args in ((), ("",))):  # f"{t}" is repr
            what = {"__bool__": "bool()", "__float__": "float()", "__int__": "int()", "__index__": "an index",
                    "__array__": "numpy.asarray()", "__format__": "format()"}.get(method, method + "()")
            raise TracingError(f"compile: the function reads a tensor of shape {t.shape} into Python with {what}; "
                               "a compiled replay would reuse the traced value (and any branch taken on it). Return "
                               "the tensor and convert it outside, or call the function uncompiled")

    def _inside(self, what: str, original: Callable, *args: Any) -> Any:
        self.inside = what
        try:
            return original(*args)
        finally:
            self.inside = None

    # ----------------------------------------------------------------- after the call
    def check_writes(self) -> None:
        """Raise if an external's values or a delivered gradient changed without an event that says so
        (raw numpy writes into `.data`, clip_grad_norm_, a custom optimizer that overrides step ...)."""
        for key, (t, arr, copy) in self.first_seen.items():
            if key in self.written or key in self.delivered:
                continue
            if t._data is not arr or not _same(arr, copy):
                raise TracingError(f"compile: the values of {_describe(t)} changed during the call through code "
                                   "compile does not follow (raw numpy on .data, or an optimizer that overrides "
                                   "step()); use optimizer.step() or in-place tensor methods under no_grad")
        for i, (arr, copy) in enumerate(zip(self.arg_arrays, self.arg_copies)):
            if not _same(arr, copy) and not any(isinstance(ev, InPlace) and ev.tensor._data is arr
                                                for ev in self.events):
                raise TracingError(f"compile: the function modified its argument {i} (shape {arr.shape}) in place "
                                   "with numpy, which compile does not follow; work on a copy")
        for key, (leaf, copy) in self.delivered.items():
            if key in self.written:
                continue
            g = leaf.grad
            if g is not None and id(g) == key and not _same(g._data, copy):
                raise TracingError(f"compile: the gradient of {_describe(leaf)} was modified in place after backward "
                                   "(clip_grad_norm_ or numpy on .grad.data?), which compile does not follow; clip "
                                   "outside the compiled function, or call it uncompiled")


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")


def _describe(t: Tensor) -> str:
    return f"tensor {t.name!r} of shape {t.shape}" if t.name else f"a tensor of shape {t.shape}"


# --------------------------------------------------------------------------- hooks

_hook_lock = threading.Lock()
_active = [0]  # how many threads are tracing
_saved: List[tuple] = []  # (owner, attribute, original) while hooks are installed


def _current() -> Optional[Tracer]:
    return _mode.tracer


def _wrap_backward(original: Callable) -> Callable:
    def backward(tensor, grad=None, retain_graph=False, create_graph=False):
        tr = _current()
        if tr is None or tr.inside is not None:
            return original(tensor, grad, retain_graph=retain_graph, create_graph=create_graph)
        return tr.backward(original, tensor, grad, retain_graph, create_graph)
    return backward


def _wrap_compute(original: Callable) -> Callable:
    def _compute(*args, **kwargs):
        tr = _current()
        if tr is not None and tr.inside != "backward":
            raise TracingError("compile: minigrad.grad (and the minigrad.func transforms built on it) cannot be "
                               "compiled; compute gradients with loss.backward() in the compiled function")
        return original(*args, **kwargs)
    return _compute


def _grad_property(slot: Any) -> property:
    def get(self):
        return slot.__get__(self, Tensor)

    def set_(self, value):
        tr = _current()
        if tr is not None and tr.inside is None:
            tr.grad_set(self, value)
        slot.__set__(self, value)
    return property(get, set_, doc=slot.__doc__)


def _wrap_method(original: Callable, on_call: Callable) -> Callable:
    def method(self, *args, **kwargs):
        tr = _current()
        if tr is None or tr.inside is not None:
            return original(self, *args, **kwargs)
        return on_call(tr, original, self, *args, **kwargs)
    method.__name__ = getattr(original, "__name__", "method")
    method.__doc__ = getattr(original, "__doc__", None)
    return method


def _on_init(tr, original, self, *args, **kwargs):
    original(self, *args, **kwargs)
    tr.convert(self, args[0] if args else kwargs.get("data"))


def _value_read(name: str) -> Callable:
    def on_call(tr, original, self, *args, **kwargs):
        tr.value_read(name, self, args)
        return original(self, *args, **kwargs)
    return on_call


def _inplace(name: str) -> Callable:
    def on_call(tr, original, self, *args, **kwargs):
        return tr.inplace(original, name, self, args, kwargs)
    return on_call


def _wrap_note_writes(original: Callable) -> Callable:
    def note_writes(arrays):
        tr = _current()
        if tr is None:
            return original(arrays)
        return tr.write(original, arrays)
    return note_writes


def _install() -> None:
    patches = [(_engine, "backward", _wrap_backward(_engine.backward)),
               (_engine, "_compute", _wrap_compute(_engine._compute)),
               (_graph, "note_writes", _wrap_note_writes(_graph.note_writes)),
               (Tensor, "grad", _grad_property(Tensor.__dict__["grad"])),
               (Tensor, "__init__", _wrap_method(Tensor.__init__, _on_init))]
    patches += [(Tensor, name, _wrap_method(getattr(Tensor, name), _value_read(name))) for name in _VALUE_READS
                if getattr(Tensor, name) is not getattr(object, name, None)]
    patches += [(Tensor, name, _wrap_method(getattr(Tensor, name), _inplace(name)))
                for name in INPLACE_METHODS]
    for owner, name, replacement in patches:
        _saved.append((owner, name, owner.__dict__.get(name, _MISSING)))
        setattr(owner, name, replacement)
    _function.set_tracing(True)


_MISSING = object()


def _uninstall() -> None:
    _function.set_tracing(False)
    while _saved:
        owner, name, original = _saved.pop()
        if original is _MISSING:
            delattr(owner, name)
        else:
            setattr(owner, name, original)


@contextmanager
def _tracing(tracer: Tracer) -> Iterator[None]:
    if _mode.tracer is not None:
        raise TracingError("compile: cannot compile while tracing (minigrad.compile called inside a function "
                           "being compiled)")
    with _hook_lock:
        if _active[0] == 0:
            _install()
        _active[0] += 1
    _mode.tracer = tracer
    try:
        yield
    finally:
        _mode.tracer = None
        with _hook_lock:
            _active[0] -= 1
            if _active[0] == 0:
                _uninstall()


# --------------------------------------------------------------------------- running the function

def stand_in(arg: Any, i: int) -> Any:
    """What the traced function receives for argument `i`: a fresh leaf sharing a tensor's values (and its
    .grad), a Traced view of an array, or the value itself (numbers and other objects are static)."""
    if isinstance(arg, Tensor):
        if arg._op is not None:
            raise TracingError(f"compile: argument {i} is the result of a recorded computation ('{arg._op.name}'); "
                               "a compiled function cannot differentiate into its caller's graph. Pass .detach()")
        s = _wrap(arg._data.view(Traced))
        s.requires_grad, s.name, s.grad = arg.requires_grad, arg.name, arg.grad
        return s
    if isinstance(arg, np.ndarray):
        if arg.dtype.kind == "O":
            raise TracingError(f"compile: argument {i} is an array of Python objects; pass numeric arrays")
        return arg.view(Traced)
    return arg


def trace_call(fn: Callable, args: tuple) -> Trace:
    """Call `fn(*stand-ins)` once with every hook on and return what it did (it really runs: parameters
    are updated, .grad set, exactly as an uncompiled call)."""
    stand_ins = [stand_in(a, i) for i, a in enumerate(args)]
    tracer = Tracer(stand_ins)
    reached, modules = reachable(fn, args)
    buffers = [(f"{reached.get(id(m), 'model')}.{name}", b, np.array(b, copy=True))
               for m in modules for name, b in m.named_buffers() if isinstance(b, np.ndarray)]
    generator, state = _rng._generator, _rng._generator.bit_generator.state
    names: Dict[int, str] = {}
    profiler = _LocalNames(names) if sys.getprofile() is None else None
    with _tracing(tracer):
        if profiler:
            sys.setprofile(profiler)
        try:
            result = fn(*stand_ins)
        finally:
            if profiler:
                sys.setprofile(None)
    if _rng._generator is not generator or _rng._generator.bit_generator.state != state:
        raise TracingError("compile: the function draws random numbers from minigrad's shared generator (dropout, "
                           "rrelu in training, rand/randn ...); a compiled replay would repeat the traced draws. "
                           "Pass seed= for fixed draws, draw outside and pass them in, or call it uncompiled")
    tracer.check_writes()
    for name, b, copy in buffers:  # layers that keep state (running statistics) write it with numpy
        if not _same(b, copy):
            raise TracingError(f"compile: the buffer {name!r} changed during the call (a layer's running "
                               "statistics, in training mode?); a compiled replay would not update it. Call "
                               "model.eval() first, or call the function uncompiled")
    for i, (a, s) in enumerate(zip(args, stand_ins)):  # what the call did to an argument's .grad is the caller's
        if isinstance(a, Tensor):
            a.grad = s.grad
    _untaint(tracer)
    return Trace(tracer.events, tuple(stand_ins), result, tracer.externals, tracer.traced_arrays, names, reached,
                 tracer.keep)


def _untaint(tracer: Tracer) -> None:
    """Gradients the trace left behind may be Traced arrays (computed from an argument): make them plain."""
    for t in tracer.keep:
        if isinstance(t, Tensor) and t.grad is not None and isinstance(t.grad._data, Traced):
            t.grad._data = t.grad._data.view(np.ndarray)


class _LocalNames:
    """A profile function: when a Python function returns, its local variables that hold tensors give
    those tensors readable names for the generated source (the innermost function's name wins)."""

    def __init__(self, names: Dict[int, str]) -> None:
        self.names = names

    def __call__(self, frame: Any, event: str, arg: Any) -> None:
        if event != "return" or frame.f_code.co_filename.startswith(_NOT_USER_CODE):
            return
        for var, value in frame.f_locals.items():
            if isinstance(value, Tensor) and var.isidentifier() and not var.startswith("_"):
                self.names.setdefault(id(value), var)


_NOT_USER_CODE = ("<", __file__.rsplit("/compile/", 1)[0] + "/", np.__file__.rsplit("/", 1)[0] + "/")


def reachable(fn: Callable, args: tuple) -> tuple:
    """What `fn` reaches (its closure variables and the globals it names, a bound method's object, the
    non-array arguments, and a few levels into dicts, lists and modules): ({id: readable name} for its
    tensors, modules and optimizers (a module's parameter `fc1.weight` -> fc1_weight), [its modules])."""
    names: Dict[int, str] = {}
    modules: list = []
    seen: set = set()

    def visit(obj: Any, name: str, depth: int) -> None:
        if id(obj) in seen or depth > 3:
            return
        seen.add(id(obj))
        if isinstance(obj, Tensor):
            names.setdefault(id(obj), identifier(name))
        elif isinstance(obj, Module):
            names.setdefault(id(obj), identifier(name))
            modules.append(obj)
            for pname, p in obj.named_parameters():
                names.setdefault(id(p), identifier(pname))
        elif isinstance(obj, Optimizer):
            names.setdefault(id(obj), identifier(name))
        elif isinstance(obj, dict):
            for k, v in list(obj.items())[:1000]:
                if isinstance(k, str):
                    visit(v, k, depth + 1)
        elif isinstance(obj, (list, tuple)):
            for i, v in enumerate(obj[:1000]):
                visit(v, f"{name}{i}", depth + 1)
        elif inspect.ismethod(obj):  # opt.step passed around: the optimizer is not called "step"
            owner = obj.__self__
            visit(owner, "optimizer" if isinstance(owner, Optimizer) else "model" if isinstance(owner, Module)
                  else name, depth)
        elif inspect.isfunction(obj):
            for var, cell in zip(obj.__code__.co_freevars, obj.__closure__ or ()):
                try:
                    visit(cell.cell_contents, var, depth + 1)
                except ValueError:  # an empty cell
                    pass
            for var in obj.__code__.co_names:
                if var in obj.__globals__ and not inspect.ismodule(obj.__globals__[var]):
                    visit(obj.__globals__[var], var, depth + 1)

    visit(fn, getattr(fn, "__name__", "fn"), 0)
    for i, a in enumerate(args):
        if not isinstance(a, (Tensor, np.ndarray)):
            visit(a, f"arg{i}", 1)
    return names, modules

