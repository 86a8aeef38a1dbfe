"""A front-end team builds from the OpenAPI document alone: models generated
from it by a public generator (datamodel-code-generator) validate what the
API serves for the seed page, every block type included, and its towns,
contacts and a feedback answer."""

import importlib.util
import json
import sys

import pytest
from datamodel_code_generator import DataModelType, InputFileType, generate
from django.core.serializers.json import DjangoJSONEncoder

from headless.api import api


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("front_end")
    output = folder / "lidkoping_api.py"
    generate(
        json.dumps(api.get_openapi_schema(), cls=DjangoJSONEncoder),
        input_file_type=InputFileType.OpenAPI,
        output=output,
        output_model_type=DataModelType.PydanticV2BaseModel,
        # As a front-end would: what the document does not describe is an error.
        extra_fields="forbid",
    )
    spec = importlib.util.spec_from_file_location("lidkoping_api", output)
    module = importlib.util.module_from_spec(spec)
    sys.modules["lidkoping_api"] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules["lidkoping_api"]


def test_the_seed_page_validates_with_every_block_type(client, demo_page, models):
    data = client.get(f"/api/v3/pages/{demo_page.pk}/").json()

    page = models.InternationalPageSchema.model_validate(data)

    block_types = {item.root.type for item in page.body}
    assert block_types == {
        "heading",
        "paragraph",
        "bullet_list",
        "twin_town",
        "partnership",
        "contacts",
    }
    towns = [item.root.value for item in page.body if item.root.type == "twin_town"]
    assert all(isinstance(town.start_year, int) for town in towns)


def test_the_listings_validate(client, demo_page, models):
    models.PagedTwinTownOnPage.model_validate(client.get("/api/v3/twin-towns/").json())
    models.PagedContactOut.model_validate(client.get("/api/v3/contacts/").json())


def test_an_error_validates_as_a_problem_detail(client, db, models):
    problem = client.get("/api/v3/twin-towns/", {"okänd": "1"}).json()
    models.ProblemDetail.model_validate(problem)
