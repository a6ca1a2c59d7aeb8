from pathlib import Path

import pytest

from clipforge.config import Settings, parse_database_url


def test_pool_parameters_are_taken_out_of_the_database_url():
    target = parse_database_url(
        "postgresql://u:p@db:5432/clip?connection_limit=7&pool_timeout=2.5&sslmode=require",
        20,
        10,
    )
    assert target.url == "postgresql+psycopg://u:p@db:5432/clip?sslmode=require"
    assert target.pool_size == 7
    assert target.pool_timeout == 2.5


def test_pool_defaults_are_20_connections_and_10_seconds():
    target = Settings(database_url="postgres://db/clip").database()
    assert (target.pool_size, target.pool_timeout) == (20, 10.0)
    assert target.url.startswith("postgresql+psycopg://")


def test_pool_defaults_come_from_settings_when_the_url_is_silent():
    target = Settings(
        database_url="postgresql://db/x", db_pool_size=5, db_pool_timeout=1
    ).database()
    assert (target.pool_size, target.pool_timeout) == (5, 1.0)


@pytest.mark.parametrize(
    "query", ["connection_limit=abc", "pool_timeout=soon", "connection_limit=0", "pool_timeout=-1"]
)
def test_bad_pool_parameters_are_refused_with_a_clear_message(query):
    with pytest.raises(ValueError, match="DATABASE_URL"):
        parse_database_url(f"postgresql://db/x?{query}", 20, 10)


def test_no_settings_means_embedded_defaults(monkeypatch, tmp_path):
    for name in ("DATABASE_URL", "REDIS_URL", "CLIPFORGE_DATABASE_URL", "CLIPFORGE_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.database().is_sqlite
    assert settings.uses_embedded_redis
    assert settings.storage_backend == "local"
    assert settings.storage_root == Path("data") / "storage"


def test_plain_database_and_redis_url_variables_are_read(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/app?connection_limit=3")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/2")
    settings = Settings()
    assert settings.database().pool_size == 3
    assert settings.redis_url == "redis://cache:6379/2"
    assert not settings.uses_embedded_redis


def test_empty_urls_mean_embedded(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("REDIS_URL", "")
    settings = Settings()
    assert settings.database().is_sqlite and settings.uses_embedded_redis


def test_every_setting_is_documented_in_env_example():
    documented = {
        line.split("=", 1)[0]
        for line in (Path(__file__).parents[2] / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    expected = set()
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        plain = [c for c in getattr(alias, "choices", []) if not c.startswith("CLIPFORGE_")]
        expected.add(plain[0] if plain else f"CLIPFORGE_{name.upper()}")
    assert expected - documented == set(), "settings missing from .env.example"
    assert documented - expected == set(), ".env.example names settings that do not exist"
