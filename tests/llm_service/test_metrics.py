"""The gateway's OpenTelemetry metrics, read back from an in-memory reader after real traffic."""

from __future__ import annotations

from typing import Any

import httpx
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from llm_service.app import create_app
from llm_service.backends.local import LocalModel
from tests.llm_service.fault_peer import FaultPeer
from tests.llm_service.support import Serve, llm_settings

QUESTION = [{"role": "user", "content": "Say hello."}]


def points(reader: InMemoryMetricReader) -> dict[str, list[tuple[dict[str, Any], Any]]]:
    """Each metric's data points as (attributes, point)."""
    found: dict[str, list[tuple[dict[str, Any], Any]]] = {}
    data = reader.get_metrics_data()
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                found[metric.name] = [
                    (dict(p.attributes or {}), p) for p in metric.data.data_points
                ]
    return found


def total(found: dict[str, list[tuple[dict[str, Any], Any]]], name: str, **attributes: str) -> int:
    return sum(
        point.value
        for labels, point in found.get(name, [])
        if all(labels.get(key) == value for key, value in attributes.items())
    )


def test_fallback_traffic_is_counted_per_backend(serve: Serve, local_model: LocalModel) -> None:
    reader = InMemoryMetricReader()
    meter = MeterProvider(metric_readers=[reader]).get_meter("test")
    peer = FaultPeer()
    peer.script.append("401")
    settings = llm_settings(hosted_base_url=f"{serve(peer.app)}/v1")
    url = serve(create_app(settings, local_model=local_model, meter=meter))
    for _ in range(2):  # a fallback, then a request that skips the open breaker
        body = {"model": "voxhall-default", "messages": QUESTION, "max_tokens": 8, "stream": True}
        assert httpx.post(f"{url}/v1/chat/completions", json=body, timeout=60).status_code == 200

    found = points(reader)
    assert total(found, "voxhall.llm.requests", backend="hosted") == 1
    assert total(found, "voxhall.llm.requests", backend="local") == 2
    assert total(found, "voxhall.llm.errors", backend="hosted", kind="status") == 1
    assert total(found, "voxhall.llm.fallbacks", **{"from": "hosted", "to": "local"}) == 1
    assert total(found, "voxhall.llm.breaker_transitions", backend="hosted", to="open") == 1
    (first_token,) = [
        p
        for labels, p in found["voxhall.llm.time_to_first_token"]
        if labels == {"backend": "local"}
    ]
    assert first_token.count == 2 and first_token.min > 0
    (speed,) = [p for _, p in found["voxhall.llm.tokens_per_second"]]
    assert speed.count >= 1 and speed.min > 0
