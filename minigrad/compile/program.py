"""From a trace to a straight-line program: one line per op, per derivative rule, per update, in order.

`Program` walks the trace's events. An op call becomes the line that computes its result (its forward,
written out by `forms`); a backward becomes the engine's reverse pass unrolled: for each recorded
tensor in `engine.backward_order`, one line per input that gets a gradient (the op's rule), the sum
back to the input's shape where broadcasting stretched it, the sum of gradients that meet, and for
each leaf the delivery into `.grad` (`gradients.accumulate`, so accumulation and set_to_none behave as
in an uncompiled step). Optimizer steps, zero_grad, in-place writes and `.grad` assignments are
statements in place. Every line is evaluated on the traced values as it is built, so each value of
the program has its traced shape and dtype.
"""
from __future__ import annotations

import ast
import inspect
from typing import Any, Callable, Dict, List, Optional

import numpy as np

from ..autograd.function import FunctionCtx as _FunctionCtx, FunctionOp
from ..autograd.gradients import sum_to_shape
from ..autograd.graph import inputs_of
from ..optim.sgd import SGD
from ..tensor import Tensor
from . import forms
from .runtime import function_forward, function_vjp
from .inline import Evaluator, Inliner, Namespace, Ref, evaluate_and_fold, identifier, readable_slices
from .trace import (Backward, Convert, Delivered, GradSet, InPlace, OpCall, OptimizerStep, Trace, Traced,
                    TracingError, ZeroGrad)


class Value:
    """An array (or number, or object) of the generated program: its name and its traced value."""

    __slots__ = ("name", "array", "line", "escapes", "buffer", "fresh", "const")

    def __init__(self, name: str, array: Any, const: bool = False) -> None:
        self.name = name
        self.array = array
        self.const = const  # a constant of the generated module (the same on every call)
        self.line: Optional[Line] = None  # the line that assigns it (None: an argument or a parameter)
        self.escapes = False  # leaves the call (returned, or kept as a .grad): must be a fresh array
        self.buffer = False  # written into a preallocated array (decided by emit)
        self.fresh = False  # a newly allocated array that nothing else refers to (decided by emit)

    def __repr__(self) -> str:
        return f"Value({self.name})"


class Line:
    """One line of the generated function: `target = expr` (or `a, _, b = expr` by `pattern`), a statement
    `stmt` (an AST, values in it as Refs), or source `text` naming the values listed in `uses`.
    `effect`: it changes state outside the call, so it stays even when nothing reads its targets."""

    __slots__ = ("targets", "expr", "stmt", "text", "uses", "comment", "effect", "section", "pattern", "quiet")

    def __init__(self, targets: List[Value], expr: Optional[ast.expr] = None, text: Optional[str] = None,
                 uses: Optional[List[Value]] = None, comment: str = "", effect: bool = False, section: str = "",
                 stmt: Optional[ast.stmt] = None, pattern: Optional[list] = None) -> None:
        self.targets, self.expr, self.stmt, self.text, self.comment = targets, expr, stmt, text, comment
        tree = expr if expr is not None else stmt
        self.uses = uses if uses is not None else ([n.value for n in ast.walk(tree) if isinstance(n, Ref)]
                                                   if tree is not None else [])
        self.effect, self.section, self.pattern = effect, section, pattern
        self.quiet = False  # runs under np.errstate(over="ignore", under="ignore")
        for t in targets:
            t.line = self


class Program:
    """The lines replaying one trace of `fn`, their namespace and their parameters (`params`)."""

    def __init__(self, fn: Callable, trace: Trace, example_args: tuple) -> None:
        self.fn, self.trace = fn, trace
        self.ns = Namespace()
        self.inl = Inliner(self.ns, self._lookup)
        self.ev = Evaluator(self.ns)
        self.params: Dict[str, Tensor] = {}
        self.lines: List[Line] = []
        self.head: List[Line] = []  # argument checks and the parameters' arrays, first in the function
        self.values: Dict[int, Value] = {}  # id(tensor) -> its value
        self.arrays: Dict[int, Value] = {}  # id(ndarray) -> the value that is that array
        self.objects: Dict[int, str] = {}  # id(tensor) -> the expression of that tensor object at replay
        self.opcalls: Dict[int, tuple] = {}  # id(result tensor) -> (OpCall, y value, saved value, ctx value)
        self.escaping: List[tuple] = []  # (call node, value) whose function emit picks: copy or not
        self.delivered: List[tuple] = []  # (owned node, value)
        self.computed: Dict[str, Value] = {}  # expression -> the value that computed it (until a write)
        self.reset: Dict[int, list] = {}  # id(p) -> the zero_grad parameters list that set p.grad to None
        self.grad_data: Dict[int, Value] = {}  # id(p) -> the value p.grad's array holds (when known)
        self.zero_lines: List[tuple] = []
        self.names = dict(trace.local_names)
        self.names.update(trace.reached_names)
        self.section = "forward"
        self._args(example_args)
        for ev in trace.events:
            getattr(self, "_" + type(ev).__name__)(ev)
        self._finish_zero_grad()
        self.result = self._result(trace.result)

    # ----------------------------------------------------------------- values
    def _lookup(self, obj: Any) -> Optional[ast.expr]:
        if isinstance(obj, Tensor):
            return Ref(self.tensor_value(obj))
        if isinstance(obj, np.ndarray):
            v = self.array_value(obj)
            return None if v is None else Ref(v)
        return None

    def tensor_value(self, t: Tensor) -> Value:
        v = self.values.get(id(t))
        if v is None:
            v = self.arrays.get(id(t._data))  # t.detach(), a new tensor on a traced array
            if v is None:
                self._external(t)
                v = self.values[id(t)]
            else:
                self.values[id(t)] = v
        return v

    def array_value(self, a: np.ndarray) -> Optional[Value]:
        """The value that is array `a` (an argument's array, an op's result, a parameter's array), None for
        a constant. A view of an argument made with numpy, or an array computed from one, cannot be
        followed: it raises."""
        v = self.arrays.get(id(a))
        if v is not None:
            return v
        for arg in self.arg_values:
            b = arg.array
            if a.shape == b.shape and a.dtype == b.dtype and a.strides == b.strides \
                    and a.__array_interface__["data"][0] == b.__array_interface__["data"][0]:
                return arg  # np.asarray(argument): the same array
        if any(np.may_share_memory(a, b) for b in self.trace.traced_arrays):
            raise TracingError(f"compile: an array of shape {a.shape} computed from an argument with numpy, outside "
                               "minigrad's ops, reaches an op; it would be frozen at its traced value. Compute it "
                               "with tensor operations, or pass it as an argument")
        for arg in self.arg_values:  # a converted copy no longer knows where it came from: compare the values
            b = arg.array
            if b.shape == a.shape and b.dtype != a.dtype and b.dtype.kind == a.dtype.kind and a.size > 1 \
                    and np.ptp(a) > 0 and np.array_equal(a, b.astype(a.dtype)):
                raise TracingError(f"compile: argument '{arg.name}' reaches an op converted from {b.dtype} to "
                                   f"{a.dtype} by numpy (a loss converting its target?); the copy would be frozen at "
                                   f"its traced value. Pass the argument in {a.dtype}")
        return None

    def _external(self, t: Tensor) -> None:
        """A tensor the function reads but did not make (a parameter, a constant): `params[name]`."""
        name = self.names.get(id(t)) or identifier(t.name or "param")
        key, k = name, 2
        while key in self.params:
            key, k = f"{name}_{k}", k + 1
        self.params[key] = t
        var = self.ns.fresh(key)
        v = Value(var, t._data)
        dtype = self.ns.add(t._data.dtype, str(t._data.dtype))
        self.head.append(Line([v], text=f"{var} = params[{key!r}].data", section="parameters"))
        self.head.append(Line([], text=f"if {var}.shape != {t.shape!r} or {var}.dtype != {dtype} or "
                                       f"params[{key!r}].requires_grad is not {t.requires_grad}: "
                                       f"parameter_changed({key!r})", uses=[v], effect=True, section="parameters"))
        self.values[id(t)] = v
        self.arrays[id(t._data)] = v
        self.objects[id(t)] = f"params[{key!r}]"

    def object_expr(self, t: Tensor) -> str:
        """The expression of tensor object `t` at replay (an argument, a parameter)."""
        if id(t) not in self.objects:
            if id(t) in self.values or id(t._data) in self.arrays:
                raise TracingError(f"compile: the function uses the tensor object of shape {t.shape} that it computed "
                                   "(as a .grad, or in place); compile replays its values, not the object")
            self._external(t)
        return self.objects[id(t)]

    def assign(self, expr: ast.expr, hint: str, comment: str, forward_result: bool = False, quiet: bool = False) -> Value:
        """A line `name = expr` (evaluated now on the traced values; its static parts folded)."""
        value, expr = evaluate_and_fold(self.ev, expr)
        if isinstance(expr, Ref) and not forward_result:
            return expr.value  # the rule passes its gradient on unchanged (add, broadcast_to ...)
        if forward_result and not isinstance(value, np.ndarray):
            expr = ast.Call(ast.Attribute(ast.Name("np", ast.Load()), "asarray", ast.Load()), [expr], [])
            value = self.ev(expr)
        if not any(isinstance(n, Ref) and not n.value.const for n in ast.walk(expr)):
            # made of constants only (the gradient of the loss, 1, through mean' and sum'): computed once, here
            return Value(self.ns.add(value, hint), value, const=True)
        expr = readable_slices(expr)
        key = ast.unparse(expr)  # value names are unique: the same text is the same computation
        same = self.computed.get(key)
        if same is not None:
            return same  # the same expression of the same values (x * x: both inputs' rules agree)
        v = Value(self.ns.fresh(hint), value)
        self.lines.append(Line([v], expr, comment=comment, section=self.section))
        self.lines[-1].quiet = quiet
        self.computed[key] = v
        return v

    # ----------------------------------------------------------------- arguments
    def _args(self, example_args: tuple) -> None:
        names = arg_names(self.fn, len(example_args))
        self.arg_values: List[Value] = []
        self.signature: List[str] = []
        for i, (a, s) in enumerate(zip(example_args, self.trace.args)):
            name = self.ns.fresh(names[i])
            self.signature.append(name)
            if isinstance(a, Tensor):
                v = Value(name, plain(s._data))
                dtype = self.ns.add(a.dtype, str(a.dtype))
                self.head.append(Line([], text=f"if not (isinstance({name}, Tensor) and {name}._data.shape == "
                                               f"{a.shape!r} and {name}._data.dtype == {dtype} and "
                                               f"{name}.requires_grad is {a.requires_grad}): "
                                               f"argument_mismatch({i}, {name})", effect=True, section="arguments"))
                obj = self.objects[id(s)] = self.ns.fresh(name + "_tensor")
                self.head.append(Line([], text=f"{obj} = {name}", section="arguments:object", effect=True))
                self.head.append(Line([v], text=f"{name} = {name}._data", section="arguments"))
                self.values[id(s)] = v
                self.arrays[id(s._data)] = v
                self.arg_values.append(v)
            elif isinstance(a, np.ndarray):
                v = Value(name, plain(s))
                dtype = self.ns.add(a.dtype, str(a.dtype))
                self.head.append(Line([], text=f"if not (isinstance({name}, np.ndarray) and {name}.shape == "
                                               f"{a.shape!r} and {name}.dtype == {dtype}): "
                                               f"argument_mismatch({i}, {name})", effect=True, section="arguments"))
                self.head.append(Line([v], text=f"{name} = {name}", section="arguments"))
                self.arrays[id(s)] = v
                self.arg_values.append(v)
            else:
                traced = self.ns.add(a, f"traced_{name}")
                self.head.append(Line([], text=f"if not same_static({name}, {traced}): "
                                               f"argument_mismatch({i}, {name})", effect=True, section="arguments"))

    # ----------------------------------------------------------------- events
    def _OpCall(self, ev: OpCall) -> None:
        op = ev.op
        nodes = [self.inl.constant_of(x, "const") for x in ev.inputs]
        values = [x._data if isinstance(x, Tensor) else x for x in ev.inputs]
        attrs = dict(ev.attrs or {})
        hint = self.names.get(id(ev.out)) or op.name
        saved = ctx = None
        if isinstance(op, FunctionOp):
            ctx = Value(self.ns.fresh(f"{hint}_ctx"), attrs["ctx"])
            needs = tuple(isinstance(x, Tensor) and x.requires_grad for x in ev.inputs)
            self.lines.append(Line([ctx], ast.Call(self.inl.name(_FunctionCtx, "FunctionCtx"),
                                                   [self.inl.constant(needs)], []), comment=f"{op.name} context",
                                   section=self.section))
            call = ast.Call(self.inl.name(function_forward, "function_forward"),
                            [self.inl.name(op.fn, op.name), Ref(ctx)] + nodes, [])
            y = Value(self.ns.fresh(hint), ev.out._data)
            saved = Value(self.ns.fresh(f"{hint}_saved"), ev.saved if ev.saved is not None else ev.ctx_saved)
            self.lines.append(Line([y, saved], call, comment=f"{op.name}.forward", section=self.section,
                                   pattern=[y, saved]))
        elif op.saves:
            kwargs = {k: self.inl.constant_of(v, k) for k, v in attrs.items()}
            call = self.inl.call(ev.forward, nodes, kwargs, f"{op.name}_forward")
            for n in ast.walk(call):
                if not isinstance(n, Ref):
                    self.ev.static.setdefault(id(n), False)
            y = Value(self.ns.fresh(hint), ev.out._data)
            saved = Value(self.ns.fresh(f"{hint}_saved"), plain(ev.saved))
            self.lines.append(Line([y, saved], call, comment=op.name, section=self.section, pattern=[y, saved]))
        else:
            expr, quiet = forms.forward(self.inl, op, ev.forward, nodes, values, attrs)
            y = self.assign(expr, hint, op.name, forward_result=True, quiet=quiet)
        self.values[id(ev.out)] = y
        self.arrays[id(ev.out._data)] = y
        self.opcalls[id(ev.out)] = (ev, y, saved, ctx)

    def _Backward(self, ev: Backward) -> None:
        self.section = "backward"
        root = ev.root
        if ev.grad is None:  # d(root)/d(root) = 1, as backward() starts
            ones = np.ones(root.shape, dtype=root.dtype)
            g = Value(self.ns.add(ones, "d" + self.tensor_value(root).name), ones, const=True)
        elif isinstance(ev.grad, Tensor):
            g = self.tensor_value(ev.grad)
        else:
            arr = np.asarray(ev.grad, dtype=root.dtype)
            g = self.array_value(arr) if isinstance(ev.grad, np.ndarray) else None
            if g is None:
                g = Value(self.ns.add(arr, "grad_output"), arr, const=True)
        grads: Dict[int, tuple] = {id(root): (root, g)}
        for t in ev.order:
            entry = grads.pop(id(t), None)
            if entry is None:
                continue
            g = entry[1]
            opcall, y, saved, ctx = self.opcalls[id(t)]
            ins = inputs_of(t)
            wants = ev.wants[t]
            if isinstance(t._op, FunctionOp):
                pgs = self._function_vjp(t, g, y, saved, ctx, ins, wants)
            else:
                pgs = [self._rule(t, opcall, i, g, y, saved) if w and t._op.rules[i] is not None else None
                       for i, w in enumerate(wants)]
            for p, pg in zip(ins, pgs):
                if pg is None:
                    continue
                pname = self.tensor_value(p).name
                pg = self._to_input(pg, p, pname)
                prev = grads.get(id(p))
                if prev is not None:
                    pg = self.assign(ast.BinOp(Ref(prev[1]), ast.Add(), Ref(pg)), "d" + pname,
                                     f"gradients of {pname} add up")
                grads[id(p)] = (p, pg)
        for leaf, g in grads.values():
            if leaf.requires_grad:
                self._deliver(leaf, g)
        self.section = "forward"

    def _deliver(self, leaf: Tensor, g: Value) -> None:
        """`leaf.grad` gets g: added to what is there, as backward does; or simply set when the function
        reset it to None just before (then that reset is left out: this assignment replaces it)."""
        name = self.tensor_value(leaf).name
        target = ast.Name(self.object_expr(leaf), ast.Load())
        reset = self.reset.pop(id(leaf), None)
        if reset is not None:
            reset[:] = [p for p in reset if p is not leaf]
            stmt = ast.Assign([ast.Attribute(target, "grad", ast.Store())], self._escape(g, "wrap_copy"), lineno=0)
            self.lines.append(Line([], stmt=stmt, effect=True, section="backward", comment=f"{name}.grad"))
            self.grad_data[id(leaf)] = g
            return
        owned = ast.Constant(False)
        self.delivered.append((owned, g))
        g.escapes = True
        call = ast.Call(ast.Name("deliver", ast.Load()), [target, Ref(g), owned], [])
        self.lines.append(Line([], stmt=ast.Expr(call), effect=True, section="backward",
                               comment=f"{name}.grad: set, or added to"))
        self.grad_data.pop(id(leaf), None)

    def _rule(self, t: Tensor, opcall: OpCall, i: int, g: Value, y: Value, saved: Optional[Value]) -> Value:
        op = t._op
        nodes = [Ref(g), Ref(y)] + [self.inl.constant_of(x, "const") for x in opcall.inputs]
        values = [g.array, y.array] + [x._data if isinstance(x, Tensor) else x for x in opcall.inputs]
        expr, note = forms.rule(self.inl, op, i, op.rules[i], nodes, values, dict(opcall.attrs or {}),
                                None if saved is None else Ref(saved))
        target = self.tensor_value(opcall.inputs[i]).name
        if note:  # the note names the rule's parameters g, y, a, b ...: here the program's values
            names = ["g", "y"] + list(_rule_params(op.rules[i], len(opcall.inputs)))
            note = ": " + note.format(**{n: getattr(node, "value", None) and node.value.name or "?"
                                         for n, node in zip(names, nodes)})
        return self.assign(expr, "d" + target, f"{op.name}' w.r.t. {target}{note}")

    def _function_vjp(self, t: Tensor, g: Value, y: Value, saved: Value, ctx: Value, ins: tuple, wants: tuple) -> list:
        """A custom Function's backward, called through its Op (one line for all inputs)."""
        needed = [i for i, w in enumerate(wants) if w]
        grads = function_vjp(t._op, ctx.array, saved.array, g.array, y.array,
                             tuple(x._data if isinstance(x, Tensor) else x for x in ins), wants)
        out = [Value(self.ns.fresh("d" + self.tensor_value(x).name if isinstance(x, Tensor) else "d"), grads[i])
               if i in needed else None for i, x in enumerate(ins)]
        call = ast.Call(self.inl.name(function_vjp, "function_vjp"),
                        [self.inl.name(t._op, f"{t._op.name}_op"), Ref(ctx), Ref(saved), Ref(g), Ref(y),
                         ast.Tuple([self.inl.constant_of(x) for x in ins], ast.Load()), self.inl.constant(wants)], [])
        self.lines.append(Line([v for v in out if v is not None], call, comment=f"{t._op.name}.backward",
                               section=self.section, pattern=out))
        return out

    def _to_input(self, pg: Value, p: Any, pname: str) -> Value:
        """The engine's adjustments of a rule's result: summed back to the input's shape (undoing
        broadcasting, as gradients.sum_to_shape) and cast to the input's dtype."""
        shape = tuple(np.shape(p._data))
        gshape = tuple(np.shape(pg.array))
        if gshape != shape:
            lead = len(gshape) - len(shape)
            if lead > 0 and gshape[lead:] == shape:  # new leading axes only (a bias): one reduction
                expr = _reduce(Ref(pg), 0 if lead == 1 else tuple(range(lead)))
            else:  # axes stretched from 1, or a smaller gradient: the engine's own function
                expr = ast.Call(self.inl.name(sum_to_shape, "sum_to_shape"), [Ref(pg), ast.Constant(shape)], [])
            pg = self.assign(expr, "d" + pname, f"summed to {pname}'s shape: {pname} was broadcast")
        if np.result_type(pg.array) != p._data.dtype:
            dtype = self.ns.add(p._data.dtype, str(p._data.dtype))
            pg = self.assign(ast.Call(ast.Attribute(Ref(pg), "astype", ast.Load()), [ast.Name(dtype, ast.Load())],
                                      []), "d" + pname, f"in the dtype of {pname}")
        return pg

    def _Delivered(self, ev: Delivered) -> None:
        self.computed.clear()  # values may change from here on
        for leaf, gobj in ev.grads.items():
            if id(leaf) in self.grad_data:  # its .grad holds that value's array (or a copy of it)
                self.values[id(gobj)] = self.grad_data[id(leaf)]
            elif leaf.requires_grad:
                v = Value(self.ns.fresh("grad_" + self.tensor_value(leaf).name), gobj._data)
                self.lines.append(Line([v], text=f"{v.name} = {self.object_expr(leaf)}.grad._data",
                                       section="backward"))
                self.values[id(gobj)] = v
                self.arrays[id(gobj._data)] = v

    def _GradSet(self, ev: GradSet) -> None:
        self.computed.clear()  # values may change from here on
        t = ev.tensor
        if id(t) not in self.objects and id(t) not in self.trace.externals:
            return  # a tensor being made (its .grad starts as None), or one the trace computed
        self.reset.pop(id(t), None)
        self.grad_data.pop(id(t), None)
        target = self.object_expr(t)
        value = ev.value
        if value is None:
            self.lines.append(Line([], text=f"{target}.grad = None", effect=True, section=self.section))
        elif isinstance(value, Tensor) and id(value) in self.trace.externals:
            self.lines.append(Line([], text=f"{target}.grad = {self.object_expr(value)}", effect=True,
                                   section=self.section))
        elif isinstance(value, Tensor):
            node = self._escape(self.tensor_value(value), "wrap_copy")
            stmt = ast.Assign([ast.Attribute(ast.Name(target, ast.Load()), "grad", ast.Store())], node, lineno=0)
            self.lines.append(Line([], stmt=stmt, effect=True, section=self.section))
        else:
            raise TracingError(f"compile: assigning a {type(value).__name__} to .grad cannot be compiled")

    def _ZeroGrad(self, ev: ZeroGrad) -> None:
        self.computed.clear()  # values may change from here on
        params = list(ev.params)
        for p in params:
            self.object_expr(p)
            self.grad_data.pop(id(p), None)
            if ev.set_to_none:
                self.reset[id(p)] = params  # a delivery that follows may take p out of this reset
        line = Line([], text="", effect=True, section="zero_grad")
        self.zero_lines.append((line, params, ev.set_to_none))
        self.lines.append(line)

    def _finish_zero_grad(self) -> None:
        """Write the zero_grad lines: each resets the parameters that no later assignment replaces."""
        for line, params, set_to_none in self.zero_lines:
            if not params:
                self.lines.remove(line)
                continue
            group = self.ns.add(tuple(params), "zero_grad_tensors")
            line.text = f"zero_grads({group}, {set_to_none})"
            line.comment = ("set to None: " if set_to_none else "zeroed in place: ") + \
                ", ".join(self.tensor_value(p).name for p in params)

    def _OptimizerStep(self, ev: OptimizerStep) -> None:
        self.computed.clear()  # values may change from here on
        opt = ev.optimizer
        owner = self.ns.add(opt, self.names.get(id(opt)) or "optimizer")
        for p in opt._params:  # the step reads p.grad: a reset before it stays
            self.reset.pop(id(p), None)
        if type(opt) is SGD and all(not g["momentum"] and not g["weight_decay"] for g in opt.param_groups):
            self._plain_sgd(opt, owner, ev.with_grad, ev.bumps)
            return
        self.lines.append(Line([], text=f"{owner}.step()", effect=True, section="update",
                               comment=f"{type(opt).__name__} update of every parameter with a .grad"))

    def _plain_sgd(self, opt: SGD, owner: str, with_grad: list, bumps: bool) -> None:
        """SGD without momentum or weight decay written out: p -= lr * p.grad, as SGD._update computes it.
        Calling SGD.step instead costs its bookkeeping per parameter: W5 1.34x -> 1.11x the floor."""
        i = 0
        for k, group in enumerate(opt.param_groups):
            lr = Value(self.ns.fresh(f"lr{k}" if len(opt.param_groups) > 1 else "lr"), float(group["lr"]))
            self.lines.append(Line([lr], text=f"{lr.name} = plain_sgd_lr({owner}, {k})", section="update",
                                   comment=f"{owner}.param_groups[{k}]['lr'], read every call"))
            for p in group["params"]:
                if with_grad[i]:
                    v = self.tensor_value(p)
                    g = self.grad_data.get(id(p))
                    grad = g.name if g is not None else f"{self.object_expr(p)}.grad._data"
                    # lr * grad in a new array rather than a buffer kept for it: the allocator hands back memory
                    # just freed, hot in cache (W1's 784x50 update: 18 µs, 32 µs through a buffer of its own)
                    self.lines.append(Line([], text=f"{v.name} -= {lr.name} * {grad}",
                                           uses=[v, lr] + ([g] if g is not None else []), effect=True,
                                           section="update", comment=f"SGD: {v.name} -= lr * {v.name}.grad"))
                i += 1
        if bumps:  # SGD.step counts its writes (versions, write stamps): so does its replay
            updated = self.ns.add(tuple(p for p, w in zip(opt._params, with_grad) if w), "updated")
            self.lines.append(Line([], text=f"bump({updated})", effect=True, section="update",
                                   comment="their versions, as in-place writes"))

    def _InPlace(self, ev: InPlace) -> None:
        self.computed.clear()  # values may change from here on
        t, method, args = ev.tensor, ev.method, ev.args
        target = self.tensor_value(t)
        nodes = [self.inl.constant_of(a) for a in args]
        for n in nodes:
            self.ev(n)
        tgt = Ref(target)
        if method == "__setitem__":
            from ..ops.shape import normalize_index
            index = self.inl.constant_of(normalize_index(args[0]), "index")
            self.ev(index)
            stmt = ast.Assign([ast.Subscript(tgt, index, ast.Store())], nodes[1], lineno=0)
        elif method in ("zero_", "fill_"):
            value = ast.Constant(0) if method == "zero_" else nodes[0]
            stmt = ast.Assign([ast.Subscript(tgt, ast.Constant(Ellipsis), ast.Store())], value, lineno=0)
        elif method == "copy_":
            stmt = ast.Expr(_np_call("copyto", [tgt, nodes[0]], casting=ast.Constant("unsafe")))
        elif method in ("clamp_", "clip_"):
            lo, hi = (nodes + [ast.Constant(None)] * 2)[:2]
            stmt = ast.Expr(_np_call("clip", [tgt, lo, hi], out=Ref(target)))
        else:
            ufunc = _INPLACE_UFUNCS[method]
            stmt = ast.Expr(_np_call(ufunc, [tgt, nodes[0]], out=Ref(target)))
        self.lines.append(Line([], stmt=stmt, effect=True, section=self.section, comment=f"{method} in place"))
        if id(t) in self.objects or id(t) in self.trace.externals:
            self.lines.append(Line([], text=f"bump(({self.object_expr(t)},))", effect=True, section=self.section,
                                   comment="its version counter, as an in-place op does"))

    def _Convert(self, ev: Convert) -> None:
        src = self.tensor_value(ev.source) if isinstance(ev.source, Tensor) else self.array_value(ev.source)
        if src is None:
            return
        out = ev.out
        written = any(isinstance(e, InPlace) and (e.tensor is out or self.values.get(id(e.tensor)) is src)
                      for e in self.trace.events)
        if written or np.result_type(src.array) != out.dtype:
            dtype = self.ns.add(out.dtype, str(out.dtype))
            v = self.assign(_np_call("array", [Ref(src)], dtype=ast.Name(dtype, ast.Load())),
                            self.names.get(id(out)) or src.name, "tensor(...): a copy")
        else:
            v = src
        self.values[id(out)] = v
        self.arrays[id(out._data)] = v

    # ----------------------------------------------------------------- the result
    def _result(self, obj: Any) -> ast.expr:
        if isinstance(obj, Tensor):
            if id(obj) in self.objects:
                return ast.Name(self.objects[id(obj)], ast.Load())
            if id(obj) in self.values or id(obj._data) in self.arrays:
                return self._escape(self.tensor_value(obj), "wrap_copy")
            return self._escape(Value(self.ns.add(obj._data, "result_array"), obj._data, const=True), "wrap_copy")
        if isinstance(obj, np.ndarray):
            v = self.array_value(obj)
            return self.inl.name(obj, "result_array") if v is None else self._escape(v, "copy")
        if isinstance(obj, (tuple, list)):
            elts = [self._result(o) for o in obj]
            if type(obj) in (tuple, list):
                return ast.Tuple(elts, ast.Load()) if isinstance(obj, tuple) else ast.List(elts, ast.Load())
            return ast.Call(self.inl.name(type(obj), type(obj).__name__), [ast.Tuple(elts, ast.Load())], [])
        if isinstance(obj, dict) and type(obj) is dict:
            return ast.Dict([self._result(k) for k in obj], [self._result(v) for v in obj.values()])
        return self.inl.constant(obj, "result")

    def _escape(self, v: Value, how: str) -> ast.expr:
        v.escapes = True
        node = ast.Call(ast.Name(how, ast.Load()), [Ref(v)], [])
        self.escaping.append((node, v))
        return node


_INPLACE_UFUNCS = {"add_": "add", "__iadd__": "add", "sub_": "subtract", "__isub__": "subtract",
                   "mul_": "multiply", "__imul__": "multiply", "div_": "true_divide", "__itruediv__": "true_divide",
                   "pow_": "power"}


def _rule_params(rule: Callable, n: int) -> List[str]:
    """The names a rule gives its n inputs (rule(g, y, a, b) -> a, b)."""
    try:
        names = [p.name for p in inspect.signature(rule).parameters.values()][2:2 + n]
    except (TypeError, ValueError):
        names = []
    return names if len(names) == n else [f"x{i}" for i in range(n)]


def plain(a: Any) -> Any:
    """A traced argument's array as the plain ndarray that replays will get (numpy keeps subclasses
    through its operations, which changes what a 0-d result is)."""
    return a.view(np.ndarray) if isinstance(a, Traced) else a


def _np_call(name: str, args: list, **kwargs: ast.expr) -> ast.Call:
    return ast.Call(ast.Attribute(ast.Name("np", ast.Load()), name, ast.Load()), args,
                    [ast.keyword(k, v) for k, v in kwargs.items()])


def _reduce(arg: ast.expr, axis: Any) -> ast.Call:
    kw = [ast.keyword("axis", ast.Constant(axis) if not isinstance(axis, tuple) else
                      ast.Tuple([ast.Constant(a) for a in axis], ast.Load()))]
    return ast.Call(ast.Attribute(ast.Attribute(ast.Name("np", ast.Load()), "add", ast.Load()), "reduce", ast.Load()),
                    [arg], kw)


# --------------------------------------------------------------------------- names

def arg_names(fn: Callable, n: int) -> List[str]:
    """The parameter names of `fn` for its first n positional arguments (arg0, arg1 ... where unknown)."""
    try:
        params = [p for p in inspect.signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    names = [identifier(p.name) for p in params[:n]]
    return names + [f"arg{i}" for i in range(len(names), n)]
