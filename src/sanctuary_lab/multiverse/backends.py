"""Execution backends behind one interface: ``map(fn, items) -> iterator of results, in order``.

* ``"local"`` (default): a pool of local processes (``concurrent.futures``, spawned; created on
  first use and reused for the whole run); with one worker, or one item, tasks run in this process.
* ``"dask"``: a ``distributed.Client`` (an existing scheduler address, or a ``LocalCluster``);
  tasks are submitted in bounded windows so a large curve streams through the cluster.
* ``"gpu"``: runs the batch kernel's solves with CuPy arrays in this process (block preparation
  stays on the CPU). Needs ``cupy`` and a CUDA device.

All backends give the same table: tasks are deterministic (bootstrap draws are seeded by the
run seed and the block key, permutations by their index).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from typing import Any, Literal

import numpy as np

from sanctuary_lab.core.errors import SpecError

BackendName = Literal["local", "dask", "gpu"]


class LocalBackend:
    """Local processes (or inline when ``workers == 1``)."""

    name = "local"
    xp: Any = np

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or max(1, min(os.cpu_count() or 1, 8))
        self._pool: ProcessPoolExecutor | None = None

    def map(
        self, fn: Callable[[Any], Any], items: Iterable[Any], linear: bool = False
    ) -> Iterator[Any]:
        items = list(items)
        if self.workers == 1 or len(items) <= 1:
            return iter([fn(i) for i in items])
        if self._pool is None:
            # spawn, not fork: pyfixest's compiled demeaner keeps a thread pool that a forked
            # child inherits in a locked state (the child then hangs)
            ctx = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx)
        return self._pool.map(fn, items)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


class DaskBackend:
    """A ``distributed`` cluster: pass a ``Client``, a scheduler address, or nothing (LocalCluster)."""

    name = "dask"
    xp: Any = np

    def __init__(self, client: Any = None, address: str | None = None, window: int = 256) -> None:
        from distributed import Client

        self._own = client is None
        if client is None:
            client = (
                Client(address)
                if address
                else Client(processes=False, n_workers=2, threads_per_worker=1)
            )
        self.client = client
        self.window = window

    def map(
        self, fn: Callable[[Any], Any], items: Iterable[Any], linear: bool = False
    ) -> Iterator[Any]:
        batch: list[Any] = []
        for item in items:
            batch.append(item)
            if len(batch) >= self.window:
                yield from self._run(fn, batch)
                batch = []
        if batch:
            yield from self._run(fn, batch)

    def _run(self, fn: Callable[[Any], Any], batch: list[Any]) -> list[Any]:
        futures = [self.client.submit(fn, item, pure=False) for item in batch]
        return self.client.gather(futures)

    def close(self) -> None:
        if self._own:
            self.client.close()


def gpu_available() -> bool:
    """Whether CuPy imports and sees at least one CUDA device."""
    try:
        import cupy

        return int(cupy.cuda.runtime.getDeviceCount()) > 0
    except Exception:  # noqa: BLE001 - any import/driver failure means no GPU
        return False


class GpuBackend:
    """The batch kernel's solves on a CUDA device through CuPy, in this process."""

    name = "gpu"

    def __init__(self) -> None:
        if not gpu_available():
            raise SpecError(
                "backend 'gpu' needs CuPy and a CUDA device (pip install cupy-cuda12x); "
                "use --backend local"
            )
        import cupy

        self.xp = cupy

    def map(
        self, fn: Callable[[Any], Any], items: Iterable[Any], linear: bool = False
    ) -> Iterator[Any]:
        f: Callable[[Any], Any] = partial(fn, xp=self.xp) if linear else fn  # type: ignore[call-arg]
        return iter([f(i) for i in items])

    def close(self) -> None:
        pass


#: The backend registry: name -> backend class.
BACKENDS: dict[str, type] = {"local": LocalBackend, "dask": DaskBackend, "gpu": GpuBackend}


def get_backend(name: str = "local", **kwargs: Any) -> Any:
    """Build a backend by name (a key of :data:`BACKENDS`); the GPU backend takes no options."""
    if name not in BACKENDS:
        raise SpecError(f"unknown backend {name!r}; choose one of {list(BACKENDS)}")
    if name == "gpu":
        return GpuBackend()
    return BACKENDS[name](**kwargs)
