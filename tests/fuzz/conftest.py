import pytest

from estatedesk import demo
from estatedesk.dev import Embedded
from tests.support import SECRET


# Package scope: its in-memory consumers must be gone before other tests use memory:// queues.
@pytest.fixture(scope="package")
def embedded(tmp_path_factory):
    """The whole embedded system with the demo group, so generated requests meet real estates."""
    system = Embedded(data_dir=tmp_path_factory.mktemp("fuzz"), secret=SECRET, port=0)
    system.start(progress=lambda _m: None)
    demo.seed(system.url, system.demo_token(), progress=lambda _m: None)
    yield system
    system.stop()
