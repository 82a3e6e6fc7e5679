"""English messages of the domain's errors, marked for extraction.

`matchmaking` raises errors with English message templates but imports no translation machinery;
the error boundary (`handlers.engine`) translates `err.message` as a msgid. Listing the
templates here puts them into `locales/messages.pot`. `tests/integration/locales` fails when a
new domain message is missing from this list.
"""

from __future__ import annotations

from handlers.i18n import N_

DOMAIN_MESSAGES: tuple[str, ...] = (
    # matchmaking/errors.py
    N_("Something went wrong. Please try again."),
    N_("This item no longer exists."),
    N_("You are not allowed to do this."),
    N_("This was already done or is no longer possible."),
    N_("You have reached the limit for today. Please try again tomorrow."),
    # matchmaking/meetings.py
    N_("Please choose one of the buttons."),
    N_("This company is no longer registered."),
    N_("This meeting request no longer exists."),
    N_("This meeting no longer exists."),
    N_("You cannot request a meeting with yourself."),
    N_("This company is not taking meeting requests right now."),
    # TRANSLATORS: about the note sent with a meeting request; {length} is the
    # number of characters the user wrote; {limit} is the maximum number.
    N_("The note is too long: {length} characters (at most {limit})."),
    # TRANSLATORS: {limit} is the number of meeting requests a company may send
    # per day.
    N_("You can send at most {limit} meeting requests a day. Please try again tomorrow."),
    N_("This request is not addressed to you."),
    N_("This request was already answered or has expired."),
    N_("This request has expired."),
    N_("This request is not yours."),
    N_("This request is not accepted (any more)."),
    N_("This meeting is already scheduled."),
    N_("This time is no longer free. Please choose another one."),
    N_("This meeting is not yours."),
    N_("This meeting is not scheduled any more."),
    N_("You already have a meeting request with this company."),
    # matchmaking/validation.py
    # TRANSLATORS: {value} is the text the user typed (or a value from an import
    # file); business_offer, business_request, technology_offer,
    # technology_request, rd_partnership and investment are codes the bot reads as
    # they are: do not translate them.
    N_(
        "Unknown profile type {value}: use business_offer, business_request, "
        "technology_offer, technology_request, rd_partnership or investment."
    ),
    # TRANSLATORS: {value} is the text the user typed (or a value from an import
    # file); micro, small, medium and large are codes the bot reads only in
    # English: keep them as they are.
    N_("Unknown company size {value}: use micro, small, medium, large or a head count."),
    # TRANSLATORS: a row of the company import file has no company id.
    N_("The id is missing."),
    # TRANSLATORS: {value} is a company id from the company import file; {limit}
    # is the maximum number of characters.
    N_(
        "The id {value} is not valid: use letters, digits, '-', '_', '.' or ':' (at most "
        "{limit} characters)."
    ),
    N_("The company name is missing."),
    # TRANSLATORS: {limit} is the minimum number of characters of a company name.
    N_("The company name is too short (at least {limit} characters)."),
    # TRANSLATORS: {length} is the number of characters the user wrote; {limit} is
    # the maximum number.
    N_("The company name is too long: {length} characters (at most {limit})."),
    N_("The country is missing."),
    # TRANSLATORS: {value} is the text the user typed (or a value from an import
    # file).
    N_("Unknown country code {value}: use a two-letter ISO code such as CN, PL or HR."),
    # TRANSLATORS: {length} is the number of characters the user wrote; {limit} is
    # the maximum number.
    N_("The city name is too long: {length} characters (at most {limit})."),
    # TRANSLATORS: about the offer or need text; {limit} is the minimum length in
    # characters (a Chinese, Japanese or Korean character counts as three).
    N_("This text is too short: please write at least {limit} characters."),
    # TRANSLATORS: about the offer or need text; {length} is the number of
    # characters the user wrote; {limit} is the maximum number.
    N_("This text is too long: {length} characters (at most {limit})."),
    N_("Both the offer and the need are empty."),
    N_("This does not look like a website address, for example: example.com"),
    # TRANSLATORS: {length} is the number of characters the user wrote; {limit} is
    # the maximum number.
    N_("The contact details are too long: {length} characters (at most {limit})."),
    N_("Please describe what you offer."),
    N_("Please describe what you need."),
    # TRANSLATORS: {value} is the text the user typed; Europe/Warsaw and
    # Asia/Shanghai are time zone names: keep them as they are.
    N_("Unknown time zone {value}: use a name such as Europe/Warsaw or Asia/Shanghai."),
    # TRANSLATORS: {value} is the code the user typed; en, zh and pl are language
    # codes: keep them as they are.
    N_("Unknown language code {value}: use codes such as en, zh, pl."),
)
