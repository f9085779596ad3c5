"""The private Redis fixture is a real, isolated server."""

import redis


def test_private_redis_answers_and_starts_empty(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    assert client.dbsize() == 0
    client.set("voxhall:probe", "1")
    assert client.get("voxhall:probe") == b"1"
    assert not redis_url.endswith(":6379/0")
