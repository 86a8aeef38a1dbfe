"""One rule for a counted answer: the report's summary, its chart and the
digests count the same answers, the same Ja and Nej and the same mean
rating. Spam and accessibility reports count for nothing; a follow-up
counts for the rating (it carries the visitor's only one), not as a second
answer. (Before the rule, the chart's mean left the follow-up out and the
report's kept it: 5,0 against 3,5 here.)"""

from feedback.chart import answers_over_time
from feedback.digests import digest_data
from feedback.models import Feedback, FeedbackKind
from feedback.report import page_summary, summary_of_page


def make(page, **fields):
    return Feedback.objects.create(
        page=page,
        page_title=page.title,
        page_url=page.full_url,
        owner_email=page.owner_email,
        **fields,
    )


def mixed_answers(page):
    bare_no = make(page, helpful=False)  # the widget's first step: no rating yet
    make(page, helpful=False, rating=2, follow_up_of=bare_no)  # gathered, then rated
    make(page, helpful=True, rating=5)
    make(page, helpful=True, rating=1, is_spam=True, spam_reason="honeypot")
    make(page, kind=FeedbackKind.ACCESSIBILITY_REPORT, helpful=None, comment="Kartan.")


EXPECTED = {"answers": 2, "yes": 1, "no": 1, "mean_rating": 3.5, "rated": 2}


def test_the_rule(page):
    mixed_answers(page)
    assert Feedback.objects.figures() == EXPECTED


def test_summary_chart_and_digest_agree(page):
    mixed_answers(page)
    everything = Feedback.objects.all()

    [row] = page_summary(everything)
    summary = {name: row[name] for name in EXPECTED}
    page_figures = summary_of_page(page.pk)
    _, buckets = answers_over_time(everything)
    [bucket] = buckets
    chart = {
        "answers": bucket.answers,
        "yes": bucket.yes,
        "no": bucket.no,
        "mean_rating": bucket.mean_rating,
    }
    digest = digest_data(page.owner_email, list(Feedback.objects.unsent()))
    [digest_page] = digest["pages"]

    assert summary == EXPECTED
    assert {name: page_figures[name] for name in EXPECTED} == EXPECTED
    assert chart == {name: EXPECTED[name] for name in chart}
    assert digest["answers"] == EXPECTED["answers"]
    assert {name: digest_page[name] for name in ("yes", "no", "mean_rating", "rated")} == {
        name: EXPECTED[name] for name in ("yes", "no", "mean_rating", "rated")
    }
    # The report went to the same owner in its own section, not as an answer.
    assert len(digest["reports"]) == 1 and digest["follow_ups"] == 1
