"""Hostile input, drawn by hypothesis, over every public input: the feedback
form and JSON, every query parameter the document declares (any text, not
only what it allows), the Host, Origin and X-Forwarded-For headers, preview
tokens, webhook URLs (the admin's form and the address guard). Never a 5xx,
and nothing stored from a refused request.

Each example runs in its own transaction (hypothesis.extra.django.TestCase);
examples are few and derandomized, so the module runs in about a minute and
gives the same answer every time."""

import ipaddress
import json
from unittest import mock

from django.test import override_settings
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase
from wagtail.models import APIToken, Page, Revision

from feedback.forms import AccessibilityReportForm, FeedbackForm
from feedback.models import Feedback
from headless.api import api
from tests.builders import make_contact, make_page, make_statement, twin_town
from tests.feedback.conftest import aged_token
from tests.intl_pages.admin_forms import make_user
from webhooks import addresses
from webhooks.forms import EndpointForm
from webhooks.models import EVENT_CHOICES, Endpoint

EXAMPLES = hypothesis_settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Any text a client can put in a form or a query string (the test client
# sends UTF-8, which has no lone surrogates).
TEXT = st.text(max_size=300)
ODD_TEXT = st.one_of(
    TEXT,
    st.sampled_from(["", "\x00", "0", "-1", "1e9", "9" * 30, "true", "null", "[]", "{}", "%00"]),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=10,
)
EVENT = EVENT_CHOICES[0][0]
FIELDS = [*FeedbackForm.base_fields, "page"]
REPORT_FIELDS = list(AccessibilityReportForm.base_fields)
DOCUMENT = api.get_openapi_schema()
READS = [
    (path, [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"])
    for path, operations in DOCUMENT["paths"].items()
    for method, operation in operations.items()
    if method == "get"
]


def problem_or_success(response):
    assert response.status_code < 500, (response.status_code, response.content[:300])


class HostileTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.page = make_page(title="Vänorter", body=[twin_town(city="Kecskemét")])
        cls.contact = make_contact()
        cls.statement = make_statement()
        cls.admin = make_user("admin", superuser=True)
        cls.token = APIToken.create_token(user=cls.admin, name="t")[1]

    def stored(self):
        return Feedback.objects.count(), Page.objects.count(), Revision.objects.count()


@override_settings(FEEDBACK_RATE_LIMIT=10**9)
class FeedbackTests(HostileTestCase):
    @EXAMPLES
    @given(
        fields=st.dictionaries(st.sampled_from(FIELDS) | TEXT, ODD_TEXT, max_size=8),
        keep_token=st.booleans(),
        accept=st.sampled_from(["text/html", "application/json"]),
    )
    def test_the_form(self, fields, keep_token, accept):
        if keep_token:
            fields["token"] = aged_token(self.page.pk)
        before = Feedback.objects.count()
        response = self.client.post(f"/feedback/{self.page.pk}/", fields, HTTP_ACCEPT=accept)
        problem_or_success(response)
        after = Feedback.objects.count()
        if response.status_code >= 400:
            assert after == before, (fields, response.status_code)
        else:
            assert response.status_code in (201, 303)
            assert after == before + 1

    @EXAMPLES
    @given(
        fields=st.dictionaries(st.sampled_from(REPORT_FIELDS) | TEXT, ODD_TEXT, max_size=6),
        keep_token=st.booleans(),
        accept=st.sampled_from(["text/html", "application/json"]),
    )
    def test_the_accessibility_report_form(self, fields, keep_token, accept):
        statement = self.statement
        if keep_token:
            fields["token"] = aged_token(statement.pk)
        url = f"/feedback/{statement.pk}/rapportera-brist/"
        before = Feedback.objects.count()
        response = self.client.post(url, fields, HTTP_ACCEPT=accept)
        problem_or_success(response)
        after = Feedback.objects.count()
        if response.status_code >= 400:
            assert after == before, (fields, response.status_code)
        else:
            assert response.status_code in (201, 303)
            assert after == before + 1

    @EXAMPLES
    @given(sida=ODD_TEXT, referer=ODD_TEXT)
    def test_the_report_forms_place_from_any_text(self, sida, referer):
        statement = self.statement
        response = self.client.get(
            f"/feedback/{statement.pk}/rapportera-brist/", {"sida": sida}, HTTP_REFERER=referer
        )
        assert response.status_code == 200, response.content[:300]

    @EXAMPLES
    @given(
        payload=st.dictionaries(st.sampled_from(FIELDS) | TEXT, JSON_VALUES, max_size=8),
        real_page=st.booleans(),
    )
    def test_the_json(self, payload, real_page):
        if real_page:
            payload["page"] = self.page.pk
        before = Feedback.objects.count()
        response = self.client.post(
            "/api/v3/feedback/", json.dumps(payload), content_type="application/json"
        )
        problem_or_success(response)
        if response.status_code >= 400:
            assert response["Content-Type"] == "application/problem+json"
            assert Feedback.objects.count() == before
        else:
            assert response.status_code == 201
            assert Feedback.objects.count() == before + 1

    @EXAMPLES
    @given(
        raw=st.one_of(
            st.binary(max_size=2000),
            # Deep enough for Python's parser to give up, short enough to be read.
            st.builds(
                lambda n, open_: open_ * n,
                st.integers(900, 5000),
                st.sampled_from([b"[", b'{"a":']),
            ),
        ),
        content_type=st.sampled_from(
            ["application/json", "text/plain", "application/x-www-form-urlencoded"]
        ),
    )
    def test_raw_bytes(self, raw, content_type):
        for path in ("/api/v3/feedback/", f"/feedback/{self.page.pk}/"):
            before = self.stored()
            response = self.client.generic("POST", path, raw, content_type=content_type)
            problem_or_success(response)
            if response.status_code >= 400:
                assert self.stored() == before, (path, raw)


class QueryTests(HostileTestCase):
    @EXAMPLES
    @given(data=st.data())
    def test_every_declared_parameter_with_any_text(self, data):
        # The token goes with every read: the public ones drop it, and the
        # ones only a token may make (schedule, revisions) are reached too.
        token = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}
        for path, names in READS:
            url = path.format(
                page_id=self.page.pk, contact_id=self.contact.pk, revision_id=1, release_id=1
            )
            # Each parameter alone, so that no other one is refused first...
            queries = [[(name, data.draw(ODD_TEXT, label=f"{path} {name}"))] for name in names]
            # ...and a few together, repeated ones included.
            mixed = st.lists(st.tuples(st.sampled_from(names or ["x"]), ODD_TEXT), max_size=4)
            queries.append(data.draw(mixed, label=path))
            for query in queries:
                response = self.client.get(url, query, **token)
                problem_or_success(response)
                if response.status_code >= 400:
                    assert response["Content-Type"] == "application/problem+json", (url, query)

    @EXAMPLES
    @given(token=ODD_TEXT)
    def test_preview_tokens(self, token):
        response = self.client.get("/api/v3/preview/", {"token": token})
        problem_or_success(response)
        assert response.status_code in (400, 404)


# Some values that Django's host check and the proxy rule must read
# without failing: ports, brackets, userinfo, many hops, junk.
HOSTS = st.one_of(
    TEXT,
    st.sampled_from(["localhost", "localhost:99999", "[::1]", "[::1", "a@b", "x" * 300, ""]),
)
ADDRESSES = st.one_of(
    TEXT, st.ip_addresses().map(str), st.lists(st.ip_addresses().map(str)).map(", ".join)
)


@override_settings(
    ALLOWED_HOSTS=["localhost", "testserver"],
    TRUSTED_PROXIES=["127.0.0.1", "10.0.0.0/8"],
    FEEDBACK_RATE_LIMIT=10**9,
)
class HeaderTests(HostileTestCase):
    @EXAMPLES
    @given(
        host=HOSTS,
        origin=ODD_TEXT,
        forwarded=ADDRESSES,
        remote=st.sampled_from(["127.0.0.1", "10.1.2.3", "203.0.113.7", "::1"]),
    )
    def test_host_origin_and_forwarded_for(self, host, origin, forwarded, remote):
        headers = {
            "HTTP_HOST": host,
            "HTTP_ORIGIN": origin,
            "HTTP_X_FORWARDED_FOR": forwarded,
            "REMOTE_ADDR": remote,
        }
        before = Feedback.objects.count()
        for response in (
            self.client.get(self.page.url, **headers),
            self.client.get("/api/v3/twin-towns/", **headers),
            self.client.post(
                f"/feedback/{self.page.pk}/",
                {"helpful": "yes", "token": aged_token(self.page.pk)},
                **headers,
            ),
            self.client.post(
                "/api/v3/feedback/",
                json.dumps({"page": self.page.pk, "helpful": "yes"}),
                content_type="application/json",
                **headers,
            ),
        ):
            problem_or_success(response)
        assert Feedback.objects.count() - before <= 2


class WebhookTests(HostileTestCase):
    @EXAMPLES
    @given(url=st.one_of(ODD_TEXT, st.from_regex(r"\Ahttps?://[^\s/]{0,40}(:\d{0,6})?/?\Z")))
    def test_the_admins_form(self, url):
        self.client.force_login(self.admin)
        before = Endpoint.objects.count()
        response = self.client.post(
            reverse("webhooks_endpoint:add"),
            {"url": url, "events": [EVENT], "is_active": "on"},
        )
        problem_or_success(response)
        form = EndpointForm(data={"url": url, "events": [EVENT]})
        if not form.is_valid():
            # Refused by the form: nothing stored.
            assert response.status_code == 200, response.status_code
            assert Endpoint.objects.count() == before

    @EXAMPLES
    @given(ip=st.ip_addresses())
    def test_the_address_guard_reads_any_address(self, ip):
        reason = addresses.refusal(ip)
        assert reason is None or isinstance(reason, str)
        if reason is None:
            assert ip.is_global

    @EXAMPLES
    @given(answers=st.lists(st.ip_addresses().map(str), max_size=4), host=TEXT)
    def test_a_name_resolving_to_anything(self, answers, host):
        infos = [(None, None, None, "", (address, 443)) for address in answers]
        with mock.patch("socket.getaddrinfo", return_value=infos):
            try:
                address = addresses.checked_address(host, 443)
            except addresses.BlockedAddress:
                assert any(addresses.refusal(ipaddress.ip_address(a)) for a in answers)
            except OSError:
                assert not answers
            else:
                assert address == answers[0]
                assert not any(addresses.refusal(ipaddress.ip_address(a)) for a in answers)
