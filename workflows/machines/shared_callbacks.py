"""Resolving a machine's callbacks once per class instead of once per machine.

python-statemachine 3.2 resolves every callback of every state and transition when a
machine is built: it lists the attributes of the machine and of its model (`dir()`), looks
each callback name up and wraps what it finds, bound to that machine. Our machines are built
for every row a request touches, and that resolution was most of their cost (about 0.5 ms
per machine). Which callbacks run, and in what order, depends only on the machine's class
and its model's class, so the first machine of a (machine class, model class) pair is
resolved as usual, and its resolved callbacks become a template that every later machine of
the pair shares: each callback of the template calls the method of the same name on the
machine the library passes it (`machine=`, which python-statemachine gives every callback),
looked up when it runs (so a method patched on the class, or on one machine, is the one that
runs, as with the library's own resolution).

A pair whose callbacks cannot be shared that way (one found on the model, a boolean
expression such as `cond="a and not b"`, a coroutine, an extra listener) keeps the library's
own per-machine resolution: correctness never depends on the template.
"""

import inspect
import threading
from collections.abc import Callable
from typing import Any

from statemachine import StateChart
from statemachine.callbacks import CallbacksExecutor, CallbacksRegistry, CallbackWrapper
from statemachine.signature import SignatureAdapter

from storage.transition_writes import BoundRow

# (machine class, model class) -> the shared registry, or None when it cannot be shared.
_templates: dict[tuple[type, type], CallbacksRegistry | None] = {}
_lock = threading.Lock()


def shared_registry(machine: StateChart) -> CallbacksRegistry | None:
    """The template for `machine`'s class and model class, None until one machine of the
    pair has been resolved (see `remember`) or when the pair cannot share one."""
    return _templates.get(_pair(machine))


def is_known(machine: StateChart) -> bool:
    return _pair(machine) in _templates


def remember(machine: StateChart) -> None:
    """Derive the template from `machine`, whose callbacks the library has just resolved."""
    template = _template_of(machine)
    with _lock:
        _templates.setdefault(_pair(machine), template)


def _pair(machine: StateChart) -> tuple[type, type]:
    model = machine.model
    return type(machine), type(model.row if isinstance(model, BoundRow) else model)


def _template_of(machine: StateChart) -> CallbacksRegistry | None:
    own_key = f"@{id(machine)}"
    events = {str(event) for event in type(machine)._events}  # an event as a callback
    template = CallbacksRegistry()
    for key, executor in machine._callbacks._registry.items():
        shared = CallbacksExecutor()
        for wrapper in executor:
            name, found_on = wrapper.unique_key.rsplit("@", 1)
            if wrapper._iscoro:
                return None
            if f"@{found_on}" == own_key and name.isidentifier() and name not in events:
                callback: Callable[..., Any] = _calling_on_machine(name)
            elif found_on == "None":  # a plain function, the same for every machine
                callback = wrapper._callback
            else:  # found on the model or a listener, or a boolean expression
                return None
            shared.items.append(
                CallbackWrapper(callback, wrapper.condition, wrapper.meta, wrapper.unique_key)
            )
            shared.items_already_seen.add(wrapper.unique_key)
        template._registry[key] = shared
    template.has_async_callbacks = False
    return template


def _calling_on_machine(name: str) -> Callable[..., Any]:
    """A callback that runs `machine.<name>` with the arguments it asks for, as the
    library's own wrapper of a bound method does."""

    def call(*args: Any, **kwargs: Any) -> Any:
        method = getattr(kwargs["machine"], name)
        wanted = _named_parameters(method)
        if wanted is not None and not args and all(param in kwargs for param in wanted):
            return method(**{param: kwargs[param] for param in wanted})
        if not callable(method):
            return method
        bound = SignatureAdapter.from_callable(method).bind_expected(*args, **kwargs)
        return method(*bound.args, **bound.kwargs)

    call.__name__ = name
    return call


# A method's function -> the names of its parameters, when all of them are plain named
# ones (what every guard and hook here looks like: `def hook(self)`, or `(self, event,
# source, target)`); then binding the library's arguments is picking those names.
_plain_parameters: dict[Any, tuple[str, ...] | None] = {}
_PLAIN = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def _named_parameters(method: Any) -> tuple[str, ...] | None:
    function = getattr(method, "__func__", None)
    if function is None:
        return None
    try:
        return _plain_parameters[function]
    except KeyError:
        pass
    parameters = SignatureAdapter.from_callable(method).parameters.values()
    plain = all(p.kind in _PLAIN and p.default is inspect.Parameter.empty for p in parameters)
    names = tuple(p.name for p in parameters) if plain else None
    _plain_parameters[function] = names
    return names
