"""What a recorded node holds, decoded in one place, and how in-place writes are caught.

Every `Tensor` is a potential graph node: the slots below are its node storage (a leaf has `_op` None).
A recorded tensor keeps the op that made it, its inputs, the op's non-tensor arguments (`_attrs`),
values the forward saved for the rules (`_saved`) and its place on the recording clock (`_seq`). The
graph is those links, with no back-references, so reference counting alone frees it.

Inputs sit in two slots rather than a tuple, `_in0` and `_in1`: one object per op for the cyclic
garbage collector to walk instead of two (measured for engine v2 on W4, one run in turns: a tuple per
node costs 12–25% more time from 10^4 to 10^6 lines and 16% more memory). `inputs_of` is the one
decoder; inlining it in the engine's two loops saves 2.4% of W3's instructions, so it is not inlined.

One clock orders everything: each recorded node takes the next tick (`_seq`), and so does each in-place
write. A node's inputs were recorded before it, so decreasing `_seq` is a topological order: backward
visits nodes in it (engine.backward_order) with no table of visited nodes, only a heap of the pending ones.

In-place writes (`add_`, `+=` under no_grad, `__setitem__`, assigning `.data`) call `note_writes`, which
stamps the written buffer with its tick (views share their owner's stamp, as PyTorch's shared version
counters do). A node whose values were written after it was recorded makes backward raise
(`check_unmodified`); when no write happened since, checking costs one compare.
"""
from __future__ import annotations

import itertools
import threading
import weakref
from typing import Any, Optional

import numpy as np


class _Marker:
    """A named sentinel."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


NO_INPUT = _Marker("NO_INPUT")  # _in1 of a one-input op
MANY_INPUTS = _Marker("MANY_INPUTS")  # _in1 of an op whose _in0 is the tuple of its 3+ inputs
RELEASED = _Marker("RELEASED")  # _saved of a node whose backward ran without retain_graph


class NodeSlots:
    """The node storage every Tensor carries (a leaf has `_op` None and the other slots unset). The
    recording functions (autograd.function) fill it: one input -> (x, NO_INPUT), two -> (a, b),
    more -> ((x0, x1, ...), MANY_INPUTS)."""

    __slots__ = ("_op", "_in0", "_in1", "_attrs", "_saved", "_seq")


def move_node(dst: NodeSlots, src: NodeSlots) -> None:
    """Make `dst` the output of the node that made `src` (an in-place op re-homes a tensor's history)."""
    dst._op, dst._in0, dst._in1 = src._op, src._in0, src._in1
    dst._attrs, dst._saved, dst._seq = src._attrs, src._saved, src._seq


def inputs_of(t: NodeSlots) -> tuple:
    """The positional inputs of the op that made `t` (Tensors or constants); () for leaves."""
    if t._op is None:
        return ()
    b = t._in1
    if b is NO_INPUT:
        return (t._in0,)
    return t._in0 if b is MANY_INPUTS else (t._in0, b)


# --------------------------------------------------------------------------- in-place writes

clock = itertools.count(1)  # ticks for every recorded node (its _seq) and every in-place write
last_write = 0  # the tick of the latest in-place write
_written: dict = {}  # id(owner buffer) -> [tick of its last in-place write, weak reference to the buffer]
_write_lock = threading.RLock()  # re-entrant: a weakref callback may run while it is held


def _owner(array: np.ndarray) -> Any:
    """The array that owns `array`'s memory (numpy keeps `.base` pointing at the owner of a view)."""
    while isinstance(array, np.ndarray) and array.base is not None:
        array = array.base
    return array


def note_writes(arrays: Any) -> None:
    """Record that these arrays' memory was just modified in place (call after every in-place write; one
    tick for all of them). An entry lives as long as its buffer (a weakref callback removes it), so an id
    in the table is that buffer's."""
    global last_write
    with _write_lock:
        now = last_write = next(clock)  # write ticks are drawn only here, under the lock: now is the latest
        for array in arrays:
            owner = _owner(array)
            key = id(owner)
            entry = _written.get(key)
            if entry is not None:
                entry[0] = now
                continue
            try:
                ref = weakref.ref(owner, lambda r, key=key: _forget(key, r))
            except TypeError:  # not weak-referenceable: kept alive instead, so its id is never reused
                ref = owner
            _written[key] = [now, ref]


def _forget(key: int, ref: Any) -> None:
    with _write_lock:
        entry = _written.get(key)
        if entry is not None and entry[1] is ref:
            del _written[key]


def written_after(value: Any, when: int) -> bool:
    """True when `value` (an ndarray, or anything else) was modified in place after tick `when`."""
    if not isinstance(value, np.ndarray):
        return False
    entry = _written.get(id(_owner(value)))
    return entry is not None and entry[0] > when


def check_unmodified(t: Any) -> None:
    """Raise if a value that `t`'s op reads in backward (its inputs, its output) was modified in place
    after the op was recorded: its rules would compute a silently wrong gradient."""
    if t._seq > last_write:
        return
    for i, v in enumerate((t,) + inputs_of(t)):
        data = v._data if isinstance(v, NodeSlots) else v
        if written_after(data, t._seq):
            what = "its output" if i == 0 else f"its input {i - 1}"
            name = getattr(v, "name", None)
            label = f" ({name!r})" if name else ""
            raise RuntimeError(
                f"backward: {what}{label} of shape {np.shape(data)}, needed to differentiate '{t._op.name}', "
                f"was modified by an in-place operation after '{t._op.name}' was recorded; the gradient would be "
                "wrong. Modify a copy (clone()) or make the change after backward()")


# --------------------------------------------------------------------------- the public node view

class GradFn:
    """A read-only view of the op that made a tensor: `name`, `inputs` (tensors or constants), `attrs`,
    and `vjp(grad)`, the op's derivative rules run once (what the explorer replays)."""

    __slots__ = ("_tensor",)

    def __init__(self, tensor: Any) -> None:
        self._tensor = tensor

    @property
    def name(self) -> str:
        return self._tensor._op.name

    @property
    def inputs(self) -> tuple:
        """The op's positional inputs: Tensors, or constants (numbers, arrays) that get no gradient."""
        return inputs_of(self._tensor)

    @property
    def attrs(self) -> dict:
        """The op's non-tensor arguments (axis, keepdims, slope, ...)."""
        attrs = self._tensor._attrs
        return dict(attrs) if attrs else {}

    @property
    def output(self) -> Any:
        return self._tensor

    def vjp(self, grad: Any) -> tuple:
        """One gradient per input for `grad` flowing into the output: an ndarray summed to that input's
        shape, or None where the input gets none. Nothing is recorded and no `.grad` changes."""
        from .gradients import node_vjp
        return node_vjp(self._tensor, grad)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GradFn) and other._tensor is self._tensor

    def __hash__(self) -> int:
        return id(self._tensor)

    def __repr__(self) -> str:
        return f"<{self.name}>"


def grad_fn(t: Any) -> Optional[GradFn]:
    return None if t._op is None else GradFn(t)
