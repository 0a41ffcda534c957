from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.netns.netns import Lab, lab, unavailable_reason

_REASON = unavailable_reason()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/netns/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.netns)
            if _REASON:
                item.add_marker(pytest.mark.skip(reason=_REASON))


@pytest.fixture
def netlab() -> Iterator[Lab]:
    with lab() as made:
        yield made
