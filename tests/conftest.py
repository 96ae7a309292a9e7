import pytest

from tests import servers


def pytest_sessionfinish(session, exitstatus):
    servers.stop_containers()


@pytest.fixture(scope="session")
def postgres_server() -> str:
    return servers.locate("postgres")


@pytest.fixture(scope="session")
def rabbitmq_url() -> str:
    url = servers.locate("rabbitmq")
    servers.reset_queues(url)
    return url


@pytest.fixture(scope="session")
def redis_url() -> str:
    return servers.locate("redis")


@pytest.fixture(scope="session")
def database_url(postgres_server):
    """A fresh database with every service's migrations applied (each in its own schema)."""
    from shared.config import SERVICES, Config
    from shared.migrations import upgrade

    url, drop = servers.fresh_database(postgres_server)
    for service in SERVICES:
        upgrade(Config.from_env(service, env={}, database_url=url))
    yield url
    drop()
