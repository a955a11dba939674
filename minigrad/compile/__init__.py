"""`minigrad.compile`: trace one call of a function (a training step, say) and replay it as generated,
straight-line numpy code.

    step = minigrad.compile(train_step, x, t)   # runs train_step(x, t) once, recording what it does
    loss = step(x2, t2)                         # the same computation on new arguments of the same shapes
    print(step.source)                          # the generated code: forward, backward, update

The trace (`trace.py`) sees every op call, `backward()`, `.grad` assignments, optimizer steps and
zero_grad, and in-place writes; `program.py` turns it into lines (the backward unrolled rule by rule in
the engine's order); `emit.py` prints them with preallocated buffers and `out=`. What a replay cannot
reproduce raises `TracingError` while compiling.
"""
from __future__ import annotations

import builtins
import linecache
import threading
import time
from typing import Any, Callable

from ..nn.utils import _zero_grads
from ..tensor import Tensor
from . import runtime
from .emit import Emitter
from .inline import identifier
from .program import Program
from .trace import TracingError, trace_call

__all__ = ["compile", "CompiledFunction", "TracingError"]

_counter = [0]


class CompiledFunction:
    """A function traced once and replayed by generated code. Call it as the function (with arguments of
    the traced shapes and dtypes; others raise ValueError). `source` is the generated code,
    `compile_seconds` how long tracing and generating took, `__wrapped__` the original function.

    A call gives the results of an uncompiled call (returned tensors, `.grad`s, updated parameters);
    returned tensors are plain results, not graph nodes. Calls are serialized (the buffers are shared)."""

    def __init__(self, fn: Callable, run: Callable, source: str, nargs: int, seconds: float) -> None:
        self.__wrapped__ = fn
        self._run = run
        self._nargs = nargs
        self._lock = threading.Lock()
        self._caller: Any = None  # the thread running it (a call from inside a call would reuse its buffers)
        self.source = source
        self.compile_seconds = seconds
        self.__name__ = getattr(fn, "__name__", "compiled")
        self.__doc__ = getattr(fn, "__doc__", None)

    def __call__(self, *args: Any) -> Any:
        if len(args) != self._nargs:
            raise TypeError(f"compiled {self.__name__}: takes {self._nargs} positional arguments as traced, "
                            f"got {len(args)}")
        me = threading.get_ident()
        if self._caller == me:
            raise RuntimeError(f"compiled {self.__name__}: called from inside its own call (through a custom Function "
                               "or an optimizer?); its buffers are in use")
        with self._lock:
            self._caller = me
            try:
                return self._run(*args)
            finally:
                self._caller = None

    def __repr__(self) -> str:
        return f"<compiled {self.__name__}: {self.source.count(chr(10))} lines, see .source>"


def compile(fn: Callable, *example_args: Any) -> CompiledFunction:
    """Trace `fn(*example_args)` once (it runs, with all its effects: a training step really takes a
    step) and return a callable that replays the same computation as straight-line numpy: the forward
    ops, the backward rules for every leaf that requires grad, optimizer steps, zero_grad and in-place
    updates under no_grad. Tensors and arrays among the arguments are inputs (checked for the traced
    shape and dtype on every call); other arguments are fixed (checked to be the same)."""
    if not callable(fn):
        raise TypeError(f"compile: expected a function, got {type(fn).__name__}")
    start = time.perf_counter()
    tr = trace_call(fn, example_args)
    prog = Program(fn, tr, example_args)
    name = identifier(getattr(fn, "__name__", "compiled"))
    if name == "_lambda_" or not name.isidentifier():
        name = "compiled"
    traced = [runtime.describe(a) for a in example_args]
    mismatch = runtime.Mismatch(name, traced, dict(prog.params))
    doc = (f"{name}({', '.join(prog.signature)}) compiled by minigrad.compile from one traced call; arguments: "
           + ("; ".join(f"{n}: {d}" for n, d in zip(prog.signature, traced)) or "none") + ".")
    source = Emitter(prog).source(name, doc)
    namespace = dict(prog.ns.objects)
    namespace.update(Tensor=Tensor, zero_grads=_zero_grads, plain_sgd_lr=runtime.plain_sgd_lr, deliver=runtime.deliver,
                     wrap=runtime.wrap, wrap_copy=runtime.wrap_copy, copy=runtime.copy, bump=runtime.bump,
                     same_static=runtime.same_static,
                     argument_mismatch=mismatch.argument, parameter_changed=mismatch.parameter,
                     params=dict(prog.params))
    _counter[0] += 1
    filename = f"<minigrad.compile {name} #{_counter[0]}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(builtins.compile(source, filename, "exec"), namespace)
    return CompiledFunction(fn, namespace[name], source, len(example_args), time.perf_counter() - start)
