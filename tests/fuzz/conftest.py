import pytest

from estatedesk import demo
from estatedesk.dev import Embedded
from tests.support import SECRET


@pytest.fixture(scope="session")
def embedded(tmp_path_factory):
    """The whole embedded system with the demo group, so generated requests meet real estates."""
    system = Embedded(data_dir=tmp_path_factory.mktemp("fuzz"), secret=SECRET, port=0)
    system.start(progress=lambda _m: None)
    demo.seed(system.url, system.demo_token(), progress=lambda _m: None)
    yield system
    system.stop()
