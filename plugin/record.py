"""The base of the small immutable value types on the hook path (stdin input, queue requests, lease rows).

`@dataclass` would do the same, but importing dataclasses pulls in inspect and ast, about a fifth of a hook's
whole run; this base gives the same behaviour (keyword and positional construction, equality, hash, repr,
assignment refused, copy and pickle) from `__slots__` alone.
"""

from __future__ import annotations


class Record:
    """Fields are the subclass's `__slots__`, in order; its `__init__` passes every value to `_init`. A subclass
    annotates its fields and sets `__slots__ = tuple(__annotations__)`: one list, read by the type checker too."""

    __slots__: tuple[str, ...] = ()
    # Field names left out of repr, so a logged object never shows a secret.
    _hidden: tuple = ()

    def _init(self, *values: object) -> None:
        for name, value in zip(self.__slots__, values, strict=True):
            object.__setattr__(self, name, value)

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__ if n not in self._hidden)
        return f"{type(self).__name__}({shown})"

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot assign to {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot delete {name!r}")

    def __reduce__(self) -> tuple:
        # Slots without __dict__: rebuild through __init__ (positional, in slot order) for copy and pickle.
        return (self.__class__, self._values())
