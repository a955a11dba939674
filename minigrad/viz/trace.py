"""Record which tensors each Module call produced, so `draw_graph(..., clusters=tracer)` can box them.

Tensors do not know which module made them. While the `trace_modules(model)` block runs, every
sub-module's `forward` is replaced by a thin wrapper (an instance attribute shadowing the method,
removed on exit). When a call returns, the wrapper walks back from its outputs through `grad_fn`
and stops at the call's tensor arguments, at leaves and at tensors that existed before the call
began (those made by earlier calls); everything in between was computed inside the call. Calls
nest: a tensor belongs to the innermost call that made it, and a call's box sits inside its
caller's. Leaves made inside `forward` and tensors captured from outside code (a closure, a global)
cannot be told apart, so they are left out of the boxes; a module's own parameters are put in it.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional

from ..tensor import Tensor

_MISSING = object()


@dataclass
class ModuleCall:
    """One call of one module: its dotted name, class name, order of entry and enclosing call."""

    name: str
    type_name: str
    index: int
    parent: Optional["ModuleCall"]
    call_number: int = 1  # 1 for the module's first call, 2 for its second, ...
    tensor_ids: set = field(default_factory=set)

    @property
    def label(self) -> str:
        """`layers.0 (Linear)`, with `call 2` appended for a module called again."""
        text = f"{self.name} ({self.type_name})" if self.name else self.type_name
        return text if self.call_number == 1 else f"{text} call {self.call_number}"

    @property
    def depth(self) -> int:
        d, p = 0, self.parent
        while p is not None:
            d, p = d + 1, p.parent
        return d


class ModuleTracer:
    """What `trace_modules` recorded: the calls, and for each traced tensor its innermost call."""

    def __init__(self) -> None:
        self.calls: List[ModuleCall] = []
        self._owner: Dict[int, ModuleCall] = {}
        self._param_owner: Dict[int, ModuleCall] = {}
        self._keep: Dict[int, Tensor] = {}  # strong references keep ids valid while the tracer lives
        self._stack: List[ModuleCall] = []
        self._counts: Dict[int, int] = {}

    def owner(self, t: Any) -> Optional[ModuleCall]:
        """The innermost module call that computed `t` (or whose parameter `t` is), else None."""
        return self._owner.get(id(t)) or self._param_owner.get(id(t))

    def clear(self) -> None:
        """Forget every recorded call (and release the tensors kept for identity)."""
        self.__init__()

    # ------------------------------------------------------------------ used by the wrappers
    def _enter(self, name: str, module: Any) -> ModuleCall:
        n = self._counts[id(module)] = self._counts.get(id(module), 0) + 1
        call = ModuleCall(name, type(module).__name__, len(self.calls),
                          self._stack[-1] if self._stack else None, n)
        self.calls.append(call)
        self._stack.append(call)
        for p in _own_parameters(module):
            if id(p) not in self._param_owner:
                self._param_owner[id(p)] = call
                self._keep[id(p)] = p
        return call

    def _exit(self, call: ModuleCall, args: tuple, kwargs: dict, out: Any) -> None:
        self._stack.pop()
        stop = {id(t) for t in _tensors_in((args, kwargs))}
        pending = [t for t in _tensors_in(out) if id(t) not in stop]
        while pending:
            t = pending.pop()
            tid = id(t)
            if tid in call.tensor_ids or tid in stop or t.grad_fn is None:
                continue
            earlier = self._owner.get(tid)
            if earlier is not None and earlier.index < call.index:
                continue  # made before this call began: an input reached another way
            call.tensor_ids.add(tid)
            self._owner.setdefault(tid, call)
            self._keep[tid] = t
            pending.extend(p for p in t.grad_fn.inputs if isinstance(p, Tensor))


def _own_parameters(module: Any) -> list:
    """Parameters registered directly on `module` (dotted names belong to sub-modules)."""
    named = getattr(module, "named_parameters", None)
    if named is None:
        return []
    return [p for n, p in named() if "." not in n and isinstance(p, Tensor)]


def _tensors_in(obj: Any) -> Iterator[Tensor]:
    """Tensors inside nested tuples, lists and dict values (iteratively)."""
    stack = [obj]
    while stack:
        o = stack.pop()
        if isinstance(o, Tensor):
            yield o
        elif isinstance(o, (tuple, list)):
            stack.extend(o)
        elif isinstance(o, dict):
            stack.extend(o.values())


def _wrap_forward(tracer: ModuleTracer, name: str, module: Any) -> Any:
    forward = module.forward

    def traced_forward(*args: Any, **kwargs: Any) -> Any:
        call = tracer._enter(name, module)
        try:
            out = forward(*args, **kwargs)
        except BaseException:
            tracer._stack.pop()
            raise
        tracer._exit(call, args, kwargs, out)
        return out

    return traced_forward


@contextmanager
def trace_modules(model: Any, include_root: bool = False) -> Iterator[ModuleTracer]:
    """Within the block, record the tensors each sub-module call computes; `forward` is restored after.

    Usage: `with trace_modules(model) as tr: loss = loss_fn(model(x), y)`, then
    `draw_graph(loss, clusters=tr)`. `include_root=True` also boxes the model's own call.
    """
    named = getattr(model, "named_modules", None)
    if named is None:
        raise TypeError(f"trace_modules: expected a Module with named_modules(), got {type(model).__name__}")
    tracer = ModuleTracer()
    patched = []
    seen = set()
    try:
        for name, module in named():
            if id(module) in seen or (name == "" and not include_root):
                continue
            seen.add(id(module))
            previous = module.__dict__.get("forward", _MISSING) if hasattr(module, "__dict__") else _MISSING
            object.__setattr__(module, "forward", _wrap_forward(tracer, name, module))
            patched.append((module, previous))
        yield tracer
    finally:
        for module, previous in reversed(patched):
            if previous is _MISSING:
                object.__delattr__(module, "forward")
            else:
                object.__setattr__(module, "forward", previous)
