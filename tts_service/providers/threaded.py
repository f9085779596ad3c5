"""Blocking synthesis handed to the event loop as it happens.

`iterate_in_thread` runs a blocking iterator (Piper, one sentence per item) in a worker thread
and hands each item to the event loop at once; closing the async side stops the worker before
its next item, so a client that hangs up stops synthesis.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from typing import TypeVar

T = TypeVar("T")

_END = object()


async def iterate_in_thread(items: Iterator[T]) -> AsyncIterator[T]:
    """Yield the items of a blocking iterator, produced in a worker thread, as they come."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[object, BaseException | None]] = asyncio.Queue()
    stop = threading.Event()

    def hand_over(item: object, error: BaseException | None = None) -> None:
        if not loop.is_closed():
            loop.call_soon_threadsafe(queue.put_nowait, (item, error))

    def pump() -> None:
        try:
            for item in items:
                hand_over(item)
                if stop.is_set():
                    break
        except Exception as error:
            hand_over(_END, error)
        else:
            hand_over(_END)

    worker = asyncio.ensure_future(asyncio.to_thread(pump))
    try:
        while True:
            item, error = await queue.get()
            if error is not None:
                raise error
            if item is _END:
                return
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        # The worker finishes at most the item in progress; waiting keeps the admission
        # gate's count of running syntheses true.
        await asyncio.shield(worker)
