"""Where job state and events live: a Redis hash and pub/sub channels, or this process's memory."""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
from collections.abc import Mapping
from typing import Any, Protocol, cast

import redis
from redis.client import PubSub
from redis.typing import EncodableT, FieldT

from voxhall.tasks.models import (
    JOBS_CHANNEL,
    JobEvent,
    JobState,
    UnknownJobError,
    dumps_json,
    job_channel,
)


class JobStore(Protocol):
    """Where job state lives and how its events travel (Redis, or this process's memory)."""

    def create(self, state: JobState) -> bool: ...
    def load(self, job_id: str) -> JobState | None: ...
    def update(self, job_id: str, event: str, **changes: Any) -> JobState: ...
    def list(self, limit: int) -> list[JobState]: ...
    def claim(self, job_id: str, token: str, ttl_ms: int) -> bool: ...
    def renew(self, job_id: str, token: str, ttl_ms: int) -> bool: ...
    def release(self, job_id: str, token: str) -> None: ...
    def step(self, job_id: str, name: str) -> tuple[bool, Any]: ...
    def record_step(self, job_id: str, name: str, value: Any) -> None: ...
    def announce_worker(self, worker_id: str, ttl_ms: int) -> None: ...
    def workers(self) -> int: ...
    def subscribe(self, job_id: str | None) -> JobSubscription: ...
    def close(self) -> None: ...


class JobSubscription(Protocol):
    """A live feed of job events; use as a context manager."""

    def get(self, timeout: float) -> JobEvent | None: ...
    def close(self) -> None: ...
    def __enter__(self) -> JobSubscription: ...
    def __exit__(self, *exc: object) -> None: ...


_STATE_FIELDS_JSON = ("args", "result", "origin")
WORKER_KEY_PREFIX = "voxhall:workers:"

_RELEASE_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_RENEW_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""


class RedisJobStore:
    """Job state in Redis hashes; events over Redis pub/sub."""

    def __init__(self, url: str, result_ttl_s: int, **client_options: Any) -> None:
        self.url = url
        self.client = redis.Redis.from_url(url, decode_responses=True, **client_options)
        self.result_ttl_s = result_ttl_s
        self._release = self.client.register_script(_RELEASE_SCRIPT)
        self._renew = self.client.register_script(_RENEW_SCRIPT)

    @staticmethod
    def _key(job_id: str) -> str:
        return f"voxhall:job:{job_id}"

    def _encode(self, state: Mapping[str, Any]) -> dict[FieldT, EncodableT]:
        encoded: dict[FieldT, EncodableT] = {}
        for name, value in state.items():
            if name in _STATE_FIELDS_JSON:
                encoded[name] = dumps_json(value)
            elif isinstance(value, bool):
                encoded[name] = "1" if value else "0"
            else:
                encoded[name] = "" if value is None else str(value)
        return encoded

    @staticmethod
    def _decode(raw: Mapping[str, str]) -> JobState:
        data: dict[str, Any] = dict(raw)
        for name in _STATE_FIELDS_JSON:
            data[name] = json.loads(data[name]) if data.get(name) else None
        for name in ("progress", "message", "error"):
            data[name] = data.get(name) or None
        data["cancel_requested"] = data.get("cancel_requested") == "1"
        data["args"] = data["args"] or {}
        data["origin"] = data["origin"] or {}
        return JobState.model_validate(data)

    def create(self, state: JobState) -> bool:
        key = self._key(state.job_id)
        if not self.client.hsetnx(key, "job_id", state.job_id):
            return False
        with self.client.pipeline() as pipe:
            pipe.hset(key, mapping=self._encode(state.model_dump(mode="json")))
            pipe.zadd("voxhall:job-index", {state.job_id: state.created_at})
            pipe.execute()
        return True

    def load(self, job_id: str) -> JobState | None:
        # decode_responses=True: the client returns str, which redis-py's types cannot express.
        raw = cast("dict[str, str]", self.client.hgetall(self._key(job_id)))
        return self._decode(raw) if raw.get("kind") else None

    def update(self, job_id: str, event: str, **changes: Any) -> JobState:
        key = self._key(job_id)
        changes["updated_at"] = time.time()
        with self.client.pipeline(transaction=True) as pipe:
            # One transaction: the event's seq and the state it carries always belong together.
            pipe.hincrby(key, "seq", 1)
            pipe.hset(key, mapping=self._encode(changes))
            pipe.hgetall(key)
            raw = pipe.execute()[-1]
        if not raw.get("kind"):
            raise UnknownJobError(job_id)
        state = self._decode(raw)
        seq = state.seq
        payload = JobEvent(event=event, seq=seq, job=state).model_dump_json()
        with self.client.pipeline() as pipe:
            pipe.publish(job_channel(job_id), payload)
            pipe.publish(JOBS_CHANNEL, payload)
            if state.finished:
                pipe.expire(key, self.result_ttl_s)
                pipe.expire(f"{key}:steps", self.result_ttl_s)
            pipe.execute()
        return state

    def list(self, limit: int) -> list[JobState]:
        # decode_responses=True and no scores: a list of str, which redis-py's types cannot express.
        job_ids = cast(
            "list[str]",
            self.client.zrevrange("voxhall:job-index", 0, max(limit * 2, limit) - 1),
        )
        states = [state for job_id in job_ids if (state := self.load(job_id)) is not None]
        stale = set(job_ids) - {state.job_id for state in states}
        if stale:
            self.client.zrem("voxhall:job-index", *stale)
        return states[:limit]

    def claim(self, job_id: str, token: str, ttl_ms: int) -> bool:
        return bool(self.client.set(f"{self._key(job_id)}:lease", token, nx=True, px=ttl_ms))

    def renew(self, job_id: str, token: str, ttl_ms: int) -> bool:
        return bool(self._renew(keys=[f"{self._key(job_id)}:lease"], args=[token, ttl_ms]))

    def release(self, job_id: str, token: str) -> None:
        self._release(keys=[f"{self._key(job_id)}:lease"], args=[token])

    def step(self, job_id: str, name: str) -> tuple[bool, Any]:
        raw = self.client.hget(f"{self._key(job_id)}:steps", name)
        return (False, None) if raw is None else (True, json.loads(raw))

    def record_step(self, job_id: str, name: str, value: Any) -> None:
        self.client.hsetnx(f"{self._key(job_id)}:steps", name, dumps_json(value))

    def announce_worker(self, worker_id: str, ttl_ms: int) -> None:
        """Say a worker is running; the mark lapses `ttl_ms` after its last announcement."""
        self.client.set(f"{WORKER_KEY_PREFIX}{worker_id}", "running", px=ttl_ms)

    def workers(self) -> int:
        """How many workers announced themselves recently, in any process."""
        return sum(1 for _ in self.client.scan_iter(f"{WORKER_KEY_PREFIX}*", count=100))

    def subscribe(self, job_id: str | None) -> _RedisSubscription:
        # Its own client without a socket timeout: redis-py 8 would fail blocking waits over 5 s.
        client = redis.Redis.from_url(self.url, decode_responses=True, socket_timeout=None)
        return _RedisSubscription(client, job_channel(job_id) if job_id else JOBS_CHANNEL)

    def close(self) -> None:
        self.client.close()


class _RedisSubscription:
    def __init__(self, client: redis.Redis, channel: str) -> None:
        self._client = client
        self._pubsub: PubSub = client.pubsub(ignore_subscribe_messages=True)
        self._pubsub.subscribe(channel)

    def get(self, timeout: float) -> JobEvent | None:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            message = self._pubsub.get_message(timeout=left)
            if message is not None and message["type"] == "message":
                return JobEvent.model_validate_json(message["data"])
        return None

    def close(self) -> None:
        self._pubsub.close()
        self._client.close()

    def __enter__(self) -> _RedisSubscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class MemoryJobStore:
    """Job state and events in this process (single-machine mode)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._states: dict[str, JobState] = {}
        self._leases: dict[str, tuple[str, float]] = {}
        self._workers: dict[str, float] = {}
        self._steps: dict[str, dict[str, Any]] = {}
        self._subscribers: list[tuple[str | None, queue.Queue[JobEvent]]] = []

    def create(self, state: JobState) -> bool:
        with self._lock:
            if state.job_id in self._states:
                return False
            self._states[state.job_id] = state.model_copy(deep=True)
            return True

    def load(self, job_id: str) -> JobState | None:
        with self._lock:
            state = self._states.get(job_id)
            return None if state is None else state.model_copy(deep=True)

    def update(self, job_id: str, event: str, **changes: Any) -> JobState:
        with self._lock:
            current = self._states.get(job_id)
            if current is None:
                raise UnknownJobError(job_id)
            changes["updated_at"] = time.time()
            changes["seq"] = current.seq + 1
            state = current.model_copy(update=changes, deep=True)
            self._states[job_id] = state
            job_event = JobEvent(event=event, seq=state.seq, job=state)
            for wanted, inbox in self._subscribers:
                if wanted in (None, job_id):
                    inbox.put(job_event)
            return state.model_copy(deep=True)

    def list(self, limit: int) -> list[JobState]:
        with self._lock:
            states = sorted(self._states.values(), key=lambda s: s.created_at, reverse=True)
            return [state.model_copy(deep=True) for state in states[:limit]]

    def claim(self, job_id: str, token: str, ttl_ms: int) -> bool:
        with self._lock:
            holder = self._leases.get(job_id)
            if holder is not None and holder[1] > time.monotonic():
                return False
            self._leases[job_id] = (token, time.monotonic() + ttl_ms / 1000)
            return True

    def renew(self, job_id: str, token: str, ttl_ms: int) -> bool:
        with self._lock:
            holder = self._leases.get(job_id)
            if holder is None or holder[0] != token:
                return False
            self._leases[job_id] = (token, time.monotonic() + ttl_ms / 1000)
            return True

    def release(self, job_id: str, token: str) -> None:
        with self._lock:
            if self._leases.get(job_id, ("",))[0] == token:
                del self._leases[job_id]

    def step(self, job_id: str, name: str) -> tuple[bool, Any]:
        with self._lock:
            steps = self._steps.get(job_id, {})
            return (name in steps, steps.get(name))

    def record_step(self, job_id: str, name: str, value: Any) -> None:
        with self._lock:
            self._steps.setdefault(job_id, {}).setdefault(name, json.loads(dumps_json(value)))

    def announce_worker(self, worker_id: str, ttl_ms: int) -> None:
        with self._lock:
            self._workers[worker_id] = time.monotonic() + ttl_ms / 1000

    def workers(self) -> int:
        with self._lock:
            now = time.monotonic()
            return sum(1 for until in self._workers.values() if until > now)

    def subscribe(self, job_id: str | None) -> _MemorySubscription:
        inbox: queue.Queue[JobEvent] = queue.Queue()
        entry = (job_id, inbox)
        with self._lock:
            self._subscribers.append(entry)
        return _MemorySubscription(self, entry)

    def _unsubscribe(self, entry: tuple[str | None, queue.Queue[JobEvent]]) -> None:
        with self._lock, contextlib.suppress(ValueError):
            self._subscribers.remove(entry)

    def close(self) -> None:
        with self._lock:
            self._subscribers.clear()


class _MemorySubscription:
    def __init__(
        self, store: MemoryJobStore, entry: tuple[str | None, queue.Queue[JobEvent]]
    ) -> None:
        self._store = store
        self._entry = entry

    def get(self, timeout: float) -> JobEvent | None:
        try:
            return self._entry[1].get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self._store._unsubscribe(self._entry)

    def __enter__(self) -> _MemorySubscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
