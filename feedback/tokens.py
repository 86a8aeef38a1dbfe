"""Signed values the widget carries instead of a per-visitor CSRF cookie.

The form token is signed over the page id and time-stamped: the page's HTML
holds nothing per visitor, so that it can be cached whole, and a cached
page's token is shared by its visitors and may be old. It is not single-use:
reuse is not spam. Its age tells a bot (a form sent faster than a person
could fill it in) from a person.

The answer reference lets the widget's later steps add to the answer a bare
Ja or Nej created, without exposing the answer's id.
"""

from django.conf import settings
from django.core import signing

FORM_SALT = "feedback.form-token"
ANSWER_SALT = "feedback.answer"


def form_token(page_id):
    return signing.TimestampSigner(salt=FORM_SALT).sign(str(page_id))


def form_token_age(token, page_id):
    """Seconds since the token for `page_id` was made; None if it is missing,
    tampered with, older than FEEDBACK_TOKEN_MAX_AGE_SECONDS or made for
    another page."""
    if not token:
        return None
    signer = signing.TimestampSigner(salt=FORM_SALT)
    try:
        value, made_at = _unsign_with_time(signer, token)
    except signing.BadSignature:
        return None
    if value != str(page_id):
        return None
    age = signing.time.time() - made_at
    return age if 0 <= age <= settings.FEEDBACK_TOKEN_MAX_AGE_SECONDS else None


def _unsign_with_time(signer, token):
    value = signer.unsign(token)
    timestamp = token.rsplit(signer.sep, 2)[-2]
    return value, signing.b62_decode(timestamp)


def answer_reference(answer_id):
    return signing.TimestampSigner(salt=ANSWER_SALT).sign(str(answer_id))


def answer_id_from(reference):
    """The answer's id, or None for a reference that is missing, tampered
    with or older than FEEDBACK_AMEND_MAX_AGE_SECONDS."""
    if not reference:
        return None
    try:
        value = signing.TimestampSigner(salt=ANSWER_SALT).unsign(
            reference, max_age=settings.FEEDBACK_AMEND_MAX_AGE_SECONDS
        )
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None
