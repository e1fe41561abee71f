from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/kennishouders/?gebied=%00", "/zoeken/?q=a%00b", "/api/v1/people?q=%00"])
def test_a_nul_byte_gets_a_clear_400(url: str) -> None:
    response = Client().get(url)
    assert response.status_code == 400
    if url.startswith("/api/"):
        assert response["Content-Type"] == "application/problem+json"
        assert response["API-Version"]


@pytest.mark.parametrize(
    ("url", "backend"),
    [
        ("", "django.core.cache.backends.filebased.FileBasedCache"),
        ("file:///srv/plek/cache", "django.core.cache.backends.filebased.FileBasedCache"),
        ("locmem://", "django.core.cache.backends.locmem.LocMemCache"),
        ("redis://127.0.0.1:6379/3", "plek.core.redis_cache.SharedClientRedisCache"),
    ],
)
def test_cache_url_picks_the_backend(url: str, backend: str) -> None:
    from plek.core.env import cache_from_url

    config = cache_from_url(url, default_dir="var/cache")["default"]
    assert config["BACKEND"] == backend
    if url.startswith("file"):
        assert config["LOCATION"] == "/srv/plek/cache"
    with pytest.raises(ValueError, match="CACHE_URL"):
        cache_from_url("memcached://x", default_dir="var/cache")


def test_two_nodes_with_one_redis_cache_url_share_what_they_cache() -> None:
    """Rate limits and cached pages must agree across web nodes: a real Redis, two cache clients."""
    from plek.core.env import cache_from_url
    from plek.core.redis_cache import SharedClientRedisCache as RedisCache

    config = cache_from_url("redis://127.0.0.1:6379/14", default_dir="")["default"]
    node_a = RedisCache(str(config["LOCATION"]), {"KEY_PREFIX": config["KEY_PREFIX"]})
    node_b = RedisCache(str(config["LOCATION"]), {"KEY_PREFIX": config["KEY_PREFIX"]})
    node_a.set("signin-failures:someone", 3, timeout=30)
    assert node_b.get("signin-failures:someone") == 3
    assert node_b.incr("signin-failures:someone") == 4
    assert node_a.get("signin-failures:someone") == 4
    node_a.delete("signin-failures:someone")


def test_the_redis_cache_keeps_one_client_per_pool_and_still_works_after_a_fork() -> None:
    """`SharedClientRedisCache` reuses its client (Django's builds one per call); a forked child (a
    gunicorn worker) gets its own connections from the pool and reads what the parent wrote."""
    import os

    from plek.core.redis_cache import SharedClientRedisCache

    cache = SharedClientRedisCache("redis://127.0.0.1:6379/14", {"KEY_PREFIX": "plek-test-fork"})
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client(write=True) is client
    assert cache._cache.get_client() is client  # one server: reads use the same pool
    cache.set("before-fork", "parent", timeout=30)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        try:
            os.close(read)
            value = cache.get("before-fork")
            cache.set("from-child", "child", timeout=30)
            os.write(write, str(value).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        seen = pipe.read()
    os.waitpid(pid, 0)
    assert seen == "parent"
    assert cache.get("from-child") == "child"
    cache.delete_many(["before-fork", "from-child"])
