"""The payload of every kind of event, as JSON Schema (the dialect of
OpenAPI 3.1), for the API's OpenAPI document to put in its `webhooks`
section: `payload_schemas()` is {event type: schema of the request body}.

The body is what `webhooks.events.payload` builds; the request carries the
Standard Webhooks headers (`WEBHOOK_HEADERS`), which a receiver checks with
its endpoint's secret before it trusts the body.
"""

from changes import signals as changes

from .events import CONTACT_KINDS
from .models import EVENT_LABELS, KINDS, RELEASE_FAILED, RELEASE_KINDS, RELEASE_PUBLISHED

DESCRIPTIONS = {
    changes.PAGE_PUBLISHED: "An editor published a page: `data.pages` is that page, "
    "as now published.",
    changes.PAGE_UNPUBLISHED: "An editor unpublished a page: `data.pages` is that page, with the "
    "title and address it had when it was last published. It is no longer served. A page put "
    "under a view restriction is announced so too, with `data.pages` empty: no event names a "
    "page that is not public.",
    changes.PAGE_WENT_LIVE: "A page went live at the go-live time an editor scheduled: "
    "`data.pages` is that page, as now published.",
    changes.PAGE_EXPIRED: "A page was unpublished at its expiry time: `data.pages` is that page, "
    "with the title and address it had when it was last published.",
    changes.CONTACT_PUBLISHED: "A contact person was published (their name, phone or e-mail may "
    "have changed): `data.pages` are the live pages that show the contact.",
    changes.CONTACT_UNPUBLISHED: "A contact person was unpublished: `data.pages` are the live "
    "pages that showed the contact and no longer do.",
    changes.CONTACT_EXPIRED: "A contact person was unpublished at their expiry time: "
    "`data.pages` are the live pages that showed the contact.",
    changes.PAGE_MOVED: "A page's address changed (it was moved, or its slug changed): "
    "`data.pages` are that page and the live pages under it, at their new addresses. Their old "
    "addresses no longer answer.",
    changes.SITE_CHANGED: "A site or a site setting was saved or deleted: what any page shows "
    "may have changed. `data.pages` is empty: rebuild everything.",
    changes.STAMP_MOVED: "A page's “Senast uppdaterad” (last updated) moved forward by the "
    "sweep that repairs stamps: `data.at` is the new time. A page's own publish and a "
    "contact's change move the stamps within their own event, and send no `page.stamp_moved`.",
    changes.PAGE_REVIEWED: "Someone marked a page as reviewed (“Granskad”): its "
    "`last_reviewed_at` and `review_due_at` moved and the page shows the new “Senast granskad”; "
    "its “Senast uppdaterad” did not move. `data.pages` is that page.",
    changes.CONTACT_REVIEWED: "Someone marked a contact person as reviewed: their "
    "`last_reviewed_at` and `review_due_at` in `/api/v3/contacts/` moved. No page shows them: "
    "`data.pages` is empty.",
    RELEASE_PUBLISHED: "A release (utgåva) went live: every item in it was applied at "
    "`data.at`, in one transaction, all or nothing. `data.items` lists them; `data.pages` are "
    "the public pages whose content changed (those it published or unpublished, and those that "
    "show a contact it changed). The per-object events (`page.went_live`, "
    "`contact.published`, ...) are sent too, as for any scheduled publish.",
    RELEASE_FAILED: "A release (utgåva) could not be applied at its time, and nothing in it "
    "was: `data.reasons` says, in Swedish, why for each item that stopped it.",
}

SEQUENCE_DESCRIPTION = (
    "The delivery's sequence number for this endpoint: one more than the previous delivery's, "
    "in the order the changes were committed. Retries may deliver out of order; a receiver "
    "that keeps the highest number it has handled can ignore an older one, and knows from a "
    "gap that a delivery is still to come."
)

WEBHOOK_HEADERS = {
    "webhook-id": {
        "description": "The message's id (`msg_…`): the same for every attempt to deliver it, "
        "so a receiver can ignore one it has already handled.",
        "schema": {"type": "string"},
    },
    "webhook-timestamp": {
        "description": "When this attempt was signed, in seconds since the Unix epoch (UTC). "
        "Standard Webhooks verifiers refuse one more than five minutes off.",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    },
    "webhook-signature": {
        "description": "`v1,` and the base64 HMAC-SHA256 of "
        "`{webhook-id}.{webhook-timestamp}.{body}` with the endpoint's secret "
        "(`whsec_…`), as Standard Webhooks specifies.",
        "schema": {"type": "string"},
    },
    "webhook-sequence": {
        "description": SEQUENCE_DESCRIPTION + " The same number as the body's `sequence`.",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    },
}

PAGE = {
    "type": "object",
    "description": "A page, as published (never a draft).",
    "properties": {
        "id": {
            "type": "integer",
            "description": "The page's id in the API (`/api/v3/pages/{id}/`).",
        },
        "title": {"type": "string", "description": "The page's published title."},
        "path": {
            "type": ["string", "null"],
            "description": "The page's address on its site, such as "
            "`/internationella-samarbeten/`; null when the page is in no site.",
        },
        "url": {
            "type": ["string", "null"],
            "format": "uri",
            "description": "The page's full address; null when the page is in no site.",
        },
    },
    "required": ["id", "title", "path", "url"],
    "additionalProperties": False,
}


RELEASE = {
    "type": "object",
    "description": "The release.",
    "properties": {
        "id": {"type": "integer", "description": "Its id (`/api/v3/releases/{id}/`)."},
        "name": {"type": "string", "description": "Its name."},
        "go_live_at": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "Its instant (UTC, ISO 8601).",
        },
    },
    "required": ["id", "name", "go_live_at"],
    "additionalProperties": False,
}

ITEM = {
    "type": "object",
    "description": "One item of the release.",
    "properties": {
        "id": {"type": "integer", "description": "The item's id."},
        "type": {"enum": ["page", "contact"], "description": "What it changes."},
        "object_id": {"type": "integer", "description": "The page's or the contact's id."},
        "action": {"enum": ["publish", "unpublish"], "description": "Published or unpublished."},
        "revision": {
            "type": ["integer", "null"],
            "description": "The revision published; null for an unpublish.",
        },
    },
    "required": ["id", "type", "object_id", "action", "revision"],
    "additionalProperties": False,
}

AT = {
    "type": "string",
    "format": "date-time",
    "description": "When the change happened (UTC, ISO 8601).",
}


def _release_data(kind):
    if kind == RELEASE_PUBLISHED:
        properties = {
            "at": AT,
            "release": RELEASE,
            "items": {"type": "array", "items": ITEM, "description": "Every item of the release."},
            "pages": {
                "type": "array",
                "items": PAGE,
                "description": "The public pages whose content visitors see changed.",
            },
        }
    else:
        properties = {
            "at": {**AT, "description": "When the release failed (UTC, ISO 8601)."},
            "release": RELEASE,
            "reasons": {
                "type": "array",
                "description": "The items that stopped the release, and why.",
                "items": {
                    "type": "object",
                    "properties": {
                        "item": {"type": "integer", "description": "The item's id."},
                        "reason": {"type": "string", "description": "Why, in Swedish."},
                    },
                    "required": ["item", "reason"],
                    "additionalProperties": False,
                },
            },
        }
    return properties, list(properties)


def _schema(kind):
    if kind in RELEASE_KINDS:
        data_properties, required = _release_data(kind)
        return _envelope(kind, data_properties, required)
    data_properties = {
        "at": {
            "type": "string",
            "format": "date-time",
            "description": "When the change happened (UTC, ISO 8601).",
        },
        "pages": {
            "type": "array",
            "items": PAGE,
            "description": "The pages whose content visitors see changed; may be empty.",
        },
    }
    required = ["at", "pages"]
    if kind in CONTACT_KINDS:
        data_properties["contact_id"] = {
            "type": "integer",
            "description": "The contact person's id (`/api/v3/contacts/`).",
        }
        required.append("contact_id")
    return _envelope(kind, data_properties, required)


def _envelope(kind, data_properties, required):
    return {
        "title": f"{kind} ({EVENT_LABELS[kind]})",
        "description": DESCRIPTIONS[kind],
        "type": "object",
        "properties": {
            "type": {"const": kind, "description": "The kind of event."},
            "timestamp": {
                "type": "string",
                "format": "date-time",
                "description": "When the event was recorded (UTC, ISO 8601).",
            },
            "sequence": {"type": "integer", "minimum": 1, "description": SEQUENCE_DESCRIPTION},
            "data": {
                "type": "object",
                "description": "What changed.",
                "properties": data_properties,
                "required": required,
                "additionalProperties": False,
            },
        },
        "required": ["type", "timestamp", "sequence", "data"],
        "additionalProperties": False,
    }


def payload_schemas():
    """{event type: JSON Schema of its request body}, one per kind of event."""
    return {kind: _schema(kind) for kind in KINDS}


def headers():
    """The request headers every delivery carries, as OpenAPI header objects."""
    return {name: dict(value) for name, value in WEBHOOK_HEADERS.items()}


def openapi_webhooks():
    """The OpenAPI 3.1 `webhooks` section: one POST per event type, its body
    and headers documented, for the API's document to include as it is."""
    return {
        kind: {
            "post": {
                "summary": EVENT_LABELS[kind],
                "description": body["description"],
                "operationId": f"webhook_{kind.replace('.', '_')}",
                "parameters": [
                    {"name": name, "in": "header", "required": True, **header}
                    for name, header in headers().items()
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": body}},
                },
                "responses": {
                    "2XX": {
                        "description": "Received. Anything else (a redirect included, "
                        "which is not followed) is tried again with backoff for a day."
                    }
                },
            }
        }
        for kind, body in payload_schemas().items()
    }
