import pytest

from tests.support import Stack


# Package scope: the in-process workers must be gone before other tiers consume the same queues.
@pytest.fixture(scope="package")
def stack(database_url, rabbitmq_url, redis_url):
    """The four services in-process on real PostgreSQL, RabbitMQ and Redis, workers running."""
    s = Stack(database_url=database_url, broker_url=rabbitmq_url, redis_url=redis_url).start()
    yield s
    s.stop()


def pytest_collection_modifyitems(items):
    for item in items:
        if "/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)
