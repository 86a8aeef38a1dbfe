"""`POST /api/v3/feedback/`: a visitor's answer as JSON, through the same
action as the page's form (`feedback.submission.submit_feedback`): the same
validation, redaction, bot checks, rate limit and storage.

Types are strict ("5" is not a rating) and unknown fields are refused; what
the schema allows goes on to the form, whose Swedish messages come back as
field errors."""

from typing import Annotated, Literal

from django.http import HttpRequest, JsonResponse
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import ConfigDict, Field, StrictInt, StrictStr
from wagtail.api.v3.errors import problem_response

from feedback.forms import CONTROL_CHARACTERS, EMAIL_MAX_LENGTH, EMAIL_PATTERN
from feedback.models import COMMENT_MAX_LENGTH, RATING_MAX, RATING_MIN
from feedback.submission import page_for_feedback, submit_feedback
from feedback.tokens import form_token
from feedback.views import FOREIGN_ORIGIN, TOO_MANY, origin_allowed
from security import clients

router = Router(tags=["feedback"])


class FeedbackIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    page: StrictInt = Field(
        description="Sidans id (`id` i sidans JSON): en publicerad, offentlig sida med en "
        "adress; annars 404.",
        ge=1,
    )
    helpful: Literal["yes", "no"] = Field(
        description="Svaret på ”Hjälpte informationen på den här sidan dig?”."
    )
    rating: StrictInt | None = Field(
        None, ge=RATING_MIN, le=RATING_MAX, description="Hur nöjd besökaren är, 1–5."
    )
    comment: StrictStr | None = Field(
        None,
        max_length=COMMENT_MAX_LENGTH,
        description="Besökarens kommentar. Styrtecken (utom tab och radbrytning) tas bort. "
        "Personuppgifter tas bort i allt utom registratorns kopia.",
    )
    # The form checks the address; the document says what it takes, so that
    # every address the document allows is taken (pydantic's own regex
    # engine reads no look-behind, so the pattern is the document's only).
    email: (
        Annotated[
            StrictStr,
            Field(
                max_length=EMAIL_MAX_LENGTH,
                json_schema_extra={"format": "email", "pattern": EMAIL_PATTERN},
            ),
        ]
        | None
    ) = Field(None, description="Frivillig adress som sidansvarig kan svara på.")
    token: StrictStr | None = Field(
        None, description="Sidans `feedback_token`. Utan giltig token sparas svaret som skräp."
    )
    answer: StrictStr | None = Field(
        None, description="`answer` från ett tidigare svar, för att lägga till i det svaret."
    )


class TokenOut(Schema):
    token: str = Field(description="Ny `token` för sidan, att skicka med svaret.")


@router.get(
    "/token/",
    response=TokenOut,
    url_name="feedback_token",
    summary="En ny token för en sida",
    description="Sidans `feedback_token` i ett cachat svar kan vara gammal (den gäller en "
    "vecka). Hämta en ny här när besökaren börjar svara; svaret cachas aldrig.",
    operation_id="feedback_token",
)
def fresh_token(request: HttpRequest, page: int):
    target = page_for_feedback(page)
    response = JsonResponse({"token": form_token(target.pk)})
    response["Cache-Control"] = "no-store, private"
    return response


class FeedbackOut(Schema):
    ok: Literal[True]
    answer: str = Field(description="Referens för att lägga till betyg eller kommentar senare.")


@router.post(
    "/",
    response={201: FeedbackOut},
    url_name="post_feedback",
    summary="Skicka en besökares svar",
    operation_id="feedback_create",
)
def post_feedback(request: HttpRequest, payload: FeedbackIn):
    if not origin_allowed(request):
        raise HttpError(403, FOREIGN_ORIGIN)
    page = page_for_feedback(payload.page)
    data = {
        name: value
        for name, value in payload.model_dump(exclude={"page"}).items()
        if value is not None
    }
    if "comment" in data:
        # As documented: stripped here, where the page's form refuses them.
        data["comment"] = CONTROL_CHARACTERS.sub("", data["comment"])
    outcome = submit_feedback(page, data, client=clients.rate_key(request))
    if outcome.limited:
        response = problem_response(status=429, detail=TOO_MANY)
        response["Retry-After"] = str(outcome.retry_after)
        return response
    if not outcome.ok:
        errors = [
            {"type": "invalid", "loc": ["body", "payload", name], "msg": message}
            for name, messages in outcome.form.errors.items()
            for message in messages
        ]
        return problem_response(status=422, detail="Svaret kunde inte tas emot.", errors=errors)
    return Status(201, {"ok": True, "answer": outcome.reference})
