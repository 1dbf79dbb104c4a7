"""The emulator's whole state kept once and put back on demand: what the tests restore before each test
instead of creating every resource again.

moto keeps each service's state in one backend object per account and region, reached through the
BackendDicts it lists in `BackendDict._instances`; `/moto-api/reset` empties them all. A snapshot is a deep
copy of every backend that exists at the time; restoring one resets moto the same way, then puts a fresh
deep copy of each saved backend where moto looks for it, so the snapshot itself is never changed and can be
restored again. tests/integration/test_fresh_stack.py holds a restored stack equal to a freshly made one.

A lock cannot be copied: a model holding one (moto's SQS queue keeps a Condition for its waiting receivers)
gets a new one of its own in each copy.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class _Saved:
    services: Any  # the BackendDict
    account: str
    region: str
    backend: Any  # a deep copy, never served


class Snapshot:
    def __init__(self, saved: list[_Saved]) -> None:
        self._saved = saved

    @classmethod
    def take(cls) -> Snapshot:
        from moto.core.base_backend import BackendDict, backend_lock

        with backend_lock:
            return cls([_Saved(services, account, region, _copy(backend))
                        for services in list(BackendDict._instances)  # type: ignore[misc]
                        for account, region, backend in services.iter_backends()])

    def restore(self) -> None:
        """Reset moto, then serve a copy of every saved backend (the caller holds every service's lock)."""
        from moto.core.base_backend import BackendDict, backend_lock
        from moto.core.model_instances import reset_model_data

        with backend_lock:
            BackendDict.reset()
            reset_model_data()
            for saved in self._saved:
                accounts = saved.services[saved.account]  # registers the BackendDict as in use again
                dict.__setitem__(accounts, saved.region, _copy(saved.backend))

    def __len__(self) -> int:
        return len(self._saved)


_LOCKS = (type(threading.Lock()), type(threading.RLock()), threading.Condition)


def _copy(backend: Any) -> Any:
    """A deep copy of a backend whose models (the values of its dict attributes) get fresh locks."""
    fresh: dict[int, Any] = {}
    for models in vars(backend).values():
        for model in models.values() if isinstance(models, dict) else ():
            for value in getattr(model, "__dict__", {}).values():
                if isinstance(value, _LOCKS):
                    fresh[id(value)] = type(value)()
    return copy.deepcopy(backend, fresh)
