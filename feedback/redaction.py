"""The redacted copy of a visitor's comment.

A comment is an allmän handling: it is kept as received in a restricted
field, and everything else (digests, reports, exports, APIs, logs) shows the
copy `redact` makes, in which e-mail addresses, Swedish personal identity
numbers and phone numbers are replaced by markers. Plain functions, no Django.

In this order, each pass on what the one before left:

1. E-mail addresses: an address may hold digits (a phone number or a
   personnummer in its local part) and must go whole.
2. Personnummer and samordningsnummer (10 or 12 digits, checked by date and
   Luhn digit), before the phone numbers: `phonenumbers` would take
   "0501011234" for a phone number in Mariestad.
3. Phone numbers: `phonenumbers.PhoneNumberMatcher` at its default leniency
   (VALID), and then a second pass for the numbers it misses that
   `phonenumbers` itself calls valid. The matcher takes a number and an
   ordinary number next to it, separated by a space, for one candidate
   ("ring 070-123 45 67 2 gånger", "sedan 1995 0510-77 00 00"), finds it
   invalid and gives up on both; and at VALID it refuses a number that a
   letter touches ("ring070-1234567"). Neither pass takes a clock-time range
   ("08.00–16.00", which the matcher calls a Stockholm number) or a
   day.month.year date ("06.05.2024") for a phone number.

What is counted (`redact_with_counts`) is how many of each kind went, never
what they were: fit for a log line.
"""

import re
from collections import Counter

import phonenumbers

PERSONNUMMER_MARKER = "[personnummer borttaget]"
EMAIL_MARKER = "[e-postadress borttagen]"
PHONE_MARKER = "[telefonnummer borttaget]"

# The kinds `redact_with_counts` counts.
PERSONNUMMER = "personnummer"
EMAIL = "e-postadress"
PHONE = "telefonnummer"

REGION = "SE"


def redact(text):
    """`text` with every e-mail address, personnummer, samordningsnummer and
    phone number replaced by its marker."""
    return redact_with_counts(text)[0]


def redact_with_counts(text):
    """(the redacted text, a Counter of how many of each kind were removed)."""
    counts = Counter()
    if not text:
        return text, counts
    text = _redact_emails(text, counts)
    text = _redact_identity_numbers(text, counts)
    text = _redact_phone_numbers(text, counts)
    return text, counts


# E-mail addresses

# Pragmatic, not RFC 5322: a local part of letters (å, ä, ö and other
# Unicode letters too), digits, dots, plus signs, hyphens, underscores and
# percent signs; a domain of at least two labels. A sentence's full stop
# after the address is not taken: a label must follow a dot.
_EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]+@[\w-]+(?:\.[\w-]+)+")


def _redact_emails(text, counts):
    text, removed = _EMAIL.subn(EMAIL_MARKER, text)
    if removed:
        counts[EMAIL] += removed
    return text


# Personnummer and samordningsnummer

# YYMMDD-NNNN, YYMMDD+NNNN (a hundred years old or more), YYMMDDNNNN,
# YYYYMMDD-NNNN and YYYYMMDDNNNN. An en dash (what word processors make of a
# typed hyphen) and a space (a common way of writing it) also separate. Never
# inside a longer run of digits.
_IDENTITY_NUMBER = re.compile(
    r"""
    (?<!\d)
    (?:
        (?:1[89]|20)(?P<long>\d{6})[-–\u0020\u00a0]?(?P<long_tail>\d{4})
      | (?P<short>\d{6})[-–+\u0020\u00a0]?(?P<short_tail>\d{4})
    )
    (?!\d)
    """,
    re.VERBOSE,
)


def is_identity_number(digits):
    """Whether the ten digits YYMMDDNNNC are a plausible personnummer or
    samordningsnummer (day + 60): month 01–12, day 01–31 or 61–91, and C the
    Luhn check digit of YYMMDDNNN."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    month, day = int(digits[2:4]), int(digits[4:6])
    if not 1 <= month <= 12 or not (1 <= day <= 31 or 61 <= day <= 91):
        return False
    return luhn_check_digit(digits[:9]) == int(digits[9])


def luhn_check_digit(digits):
    """The Luhn check digit of `digits`, as Skatteverket computes it over
    YYMMDDNNN: weights 2, 1, 2, ... from the left, digit sums of the
    products."""
    total = 0
    for position, digit in enumerate(map(int, digits)):
        product = digit * (2 if position % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return (10 - total % 10) % 10


def _redact_identity_numbers(text, counts):
    def replace(match):
        digits = (match["long"] or match["short"]) + (match["long_tail"] or match["short_tail"])
        if not is_identity_number(digits):
            return match[0]
        counts[PERSONNUMMER] += 1
        # One marker for both: a marker of its own would tell every reader
        # that the visitor has a samordningsnummer, that is, is most likely
        # not registered as living in Sweden.
        return PERSONNUMMER_MARKER

    return _IDENTITY_NUMBER.sub(replace, text)


# Phone numbers

_CLOCK = r"(?:[01]?\d|2[0-4])[.:][0-5]\d"
_ORDINARY = re.compile(
    rf"""
    (?<!\d)
    (?:
        {_CLOCK}[\u0020\u00a0]*[-–—][\u0020\u00a0]*{_CLOCK}  # 08.00–16.00
      | (?:0?[1-9]|[12]\d|3[01])([-./])(?:0?[1-9]|1[0-2])\1\d{{4}}  # 06.05.2024
    )
    (?!\d)
    """,
    re.VERBOSE,
)


def looks_ordinary(candidate):
    """Whether a string `phonenumbers` calls a valid number holds an ordinary
    clock-time range ("08.00–16.00", "09.00 - 12.00") or date ("06.05.2024",
    "02-01-2024"), which is not written so in a phone number."""
    return _ORDINARY.search(candidate) is not None


def _redact_phone_numbers(text, counts):
    spans = []
    for match in phonenumbers.PhoneNumberMatcher(text, REGION):
        start, end = _balanced(text, match.start, match.end)
        if not looks_ordinary(text[start:end]):
            spans.append((start, end))
    text = _replace_spans(text, spans, PHONE_MARKER)
    missed = list(_numbers_the_matcher_missed(text))
    text = _replace_spans(text, missed, PHONE_MARKER)
    if spans or missed:
        counts[PHONE] += len(spans) + len(missed)
    return text


def _replace_spans(text, spans, marker):
    """`text` with every (start, end) span replaced by `marker`, from the end
    so that the earlier spans' offsets stay right."""
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + marker + text[end:]
    return text


def _balanced(text, start, end):
    """The span without the parentheses around it or an opening one it does
    not close: the matcher takes the "(" of "(070-123 45 67)" and leaves the
    ")". An area code's, "(0510) 77 00 00" or "+46 (0)70", stays."""
    if text[start] == "(" and _closing(text, start, end) in (None, end - 1):
        start += 1
    if text[end - 1] == ")" and text.count(")", start, end) > text.count("(", start, end):
        end -= 1
    return start, end


def _closing(text, start, end):
    """Where the parenthesis at `start` is closed before `end`; None if not."""
    depth = 0
    for position in range(start, end):
        depth += {"(": 1, ")": -1}.get(text[position], 0)
        if depth == 0:
            return position
    return None


# The second pass. A run of digit groups, separated by a hyphen or dash, a
# slash, a dot between digits, or spaces. A number may start at a group that
# begins with 0 or + (as every Swedish number written by a person does) and
# end at a group, where only spaces separate it from the rest of the run
# (or the run starts or ends there): "2024-05-01" holds no number that starts
# at "05". From each start, the longest valid number is taken.
_GROUP = r"[+(]*\d[\d()]*"
_SEPARATOR = r"(?:[\u0020\u00a0]*[-–—/][\u0020\u00a0]*|\.|[\u0020\u00a0]{1,3})"
_RUN = re.compile(rf"{_GROUP}(?:{_SEPARATOR}{_GROUP})*")
_GROUP_ONLY = re.compile(_GROUP)
_THOUSANDS = re.compile(r"\d{3}(?:[\u0020\u00a0]\d{3})*")
_MAX_GROUPS = 8


def _numbers_the_matcher_missed(text):
    for run in _RUN.finditer(text):
        groups = [
            (g.start() + run.start(), g.end() + run.start()) for g in _GROUP_ONLY.finditer(run[0])
        ]
        yield from _numbers_in_run(text, groups)


def _numbers_in_run(text, groups):
    def soft(before, after):
        return not text[before:after].strip("\u0020\u00a0")

    starts = [
        i
        for i, (start, end) in enumerate(groups)
        if (i == 0 or soft(groups[i - 1][1], start)) and text[start:end].lstrip("(")[0] in "0+"
    ]
    ends = {
        j
        for j, (_, end) in enumerate(groups)
        if j == len(groups) - 1 or soft(end, groups[j + 1][0])
    }
    taken_until = -1
    for i in starts:
        if i <= taken_until:
            continue
        if i > 0 and _is_thousands_group(text, groups, i):
            continue
        for j in range(min(len(groups) - 1, i + _MAX_GROUPS - 1), i - 1, -1):
            if j not in ends:
                continue
            start, end = _balanced(text, groups[i][0], groups[j][1])
            candidate = text[start:end]
            if _is_valid_number(candidate) and not looks_ordinary(candidate):
                yield start, end
                taken_until = j
                break


def _is_thousands_group(text, groups, i):
    """Whether group i and the rest of the run go on an amount: "1 031 123
    456 kr" holds no number that starts at "031"."""
    before = text[groups[i - 1][0] : groups[i - 1][1]]
    space = text[groups[i - 1][1] : groups[i][0]]
    rest = text[groups[i][0] : groups[-1][1]]
    return (
        before.isdigit()
        and len(before) <= 3
        and space in ("\u0020", "\u00a0")
        and _THOUSANDS.fullmatch(rest) is not None
    )


def _is_valid_number(candidate):
    digits = sum(char.isdigit() for char in candidate)
    if not 7 <= digits <= 15:
        return False
    try:
        number = phonenumbers.parse(candidate, REGION)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number)
