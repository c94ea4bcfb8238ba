"""A registry keyed by the names YAML configs use (BasicSR style: `type: promotion-s`)."""
from typing import Callable, Dict, Generic, TypeVar

T = TypeVar('T')


class Registry(Generic[T]):
    """Maps names to factories. Registering a name twice or asking for an unknown one raises ValueError."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: Dict[str, Callable[..., T]] = {}

    def register(self, name: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
        def decorator(factory: Callable[..., T]) -> Callable[..., T]:
            if name in self._items:
                raise ValueError(f'{self.kind} {name!r} is already registered')
            self._items[name] = factory
            return factory
        return decorator

    def get(self, name: str) -> Callable[..., T]:
        if name not in self._items:
            raise ValueError(f'Unknown {self.kind} {name!r}; expected one of {sorted(self._items)}')
        return self._items[name]

    def names(self):
        return sorted(self._items)
