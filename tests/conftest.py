import pytest

from intl_pages.demo import load_demo
from intl_pages.models import InternationalPage


@pytest.fixture
def demo_page(db):
    """The seed page as `load_demo` builds it, published under the home page."""
    load_demo()
    return InternationalPage.objects.get(slug="internationella-samarbeten")
