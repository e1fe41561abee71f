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
        ("redis://127.0.0.1:6379/3", "django.core.cache.backends.redis.RedisCache"),
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
    from django.core.cache.backends.redis import RedisCache

    from plek.core.env import cache_from_url

    config = cache_from_url("redis://127.0.0.1:6379/14", default_dir="")["default"]
    node_a = RedisCache(str(config["LOCATION"]), {"KEY_PREFIX": config["KEY_PREFIX"]})
    node_b = RedisCache(str(config["LOCATION"]), {"KEY_PREFIX": config["KEY_PREFIX"]})
    node_a.set("signin-failures:someone", 3, timeout=30)
    assert node_b.get("signin-failures:someone") == 3
    assert node_b.incr("signin-failures:someone") == 4
    assert node_a.get("signin-failures:someone") == 4
    node_a.delete("signin-failures:someone")
