"""voice_router/closing/digest.py: one agent's digest for one problem, written for the agent, naming
each customer and account, quoting their own words and linking their tickets; customer text can
never make a Slack link or mention, nor break a line."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voice_router.closing.digest import OUTCOMES, Digest, DigestLine, render_digest, safe_url
from voice_router.closing.fix_versions import in_versions, stored

JIRA_URL = "https://acme.atlassian.net/browse/PROD-12"
MARIA = DigestLine(
    customer_name="Maria Lopez",
    customer_email="maria.lopez@acme-corp.com",
    account="Acme Corp",
    their_words="Stuck in a login loop after SSO",
    ticket_url="https://secure.helpscout.net/conversation/1001/42?folder=7&tab=notes",
    source="helpscout-main",
    ticket_id="1001",
)
CHEN = DigestLine(
    customer_name="Chen Wei",
    customer_email="chen.wei@globex.example",
    account="Globex",
    their_words="SSO keeps bouncing me back to Okta",
    ticket_url="https://globex.zendesk.com/agent/tickets/2002",
    source="zendesk-eu",
    ticket_id="2002",
)
SAM = DigestLine(
    customer_name=None,
    customer_email="sam.r@gmail.com",
    account=None,
    their_words="can't log in!!",
    ticket_url="https://app.intercom.com/a/apps/x1/inbox/inbox/conversation/77",
    source="intercom",
    ticket_id="77",
)
# Slack links we make: <http(s)://...|label>; the URL part never holds `<`, `>`, `|` or spaces.
OUR_LINK = re.compile(r"<(https?://[^<>|\s]+)\|([^<>]*)>")


def digest(outcome: str = "shipped", lines: list[DigestLine] | None = None, **kwargs) -> Digest:
    arguments = {
        "agent_name": "Alice Moreno",
        "agent_email": "alice@support.example",
        "problem_title": "SSO login loop",
        "outcome": outcome,
        "jira_key": "PROD-12",
        "jira_url": JIRA_URL,
        "lines": [MARIA, CHEN, SAM] if lines is None else lines,
    }
    arguments.update(kwargs)
    return render_digest(**arguments)


def test_shipped_subject_counts_the_customers_and_names_the_fix() -> None:
    assert digest().subject == "3 of your customers to tell: SSO login loop is fixed (PROD-12)"


def test_shipped_text_talks_to_the_agent_and_names_customers_accounts_words_and_tickets() -> None:
    text = digest(what_changed="Stale session cookies no longer send you back to the IdP.").text

    assert text.startswith("Hi Alice Moreno,\n")
    assert "the fix for “SSO login loop” has shipped (PROD-12: " + JIRA_URL + ")" in text
    assert "What changed: Stale session cookies no longer send you back to the IdP." in text
    assert "1. Maria Lopez at Acme Corp (maria.lopez@acme-corp.com)\n" in text
    assert (
        "   “Stuck in a login loop after SSO” — helpscout-main #1001: "
        "https://secure.helpscout.net/conversation/1001/42?folder=7&tab=notes\n"
    ) in text
    assert "2. Chen Wei at Globex (chen.wei@globex.example)\n" in text
    assert "“SSO keeps bouncing me back to Okta” — zendesk-eu #2002: " in text
    assert "3. sam.r@gmail.com\n   “can't log in!!” — intercom #77: https://app.intercom" in text
    lowered = text.lower()
    assert "hi user" not in lowered and "your issue is resolved" not in lowered
    assert "None" not in text


def test_wont_fix_says_it_will_not_be_fixed_so_the_agent_can_close_the_loop_honestly() -> None:
    result = digest("wont_fix", what_changed="Legacy SSO is being retired in June.")

    assert result.subject == "3 of your customers to tell: SSO login loop won't be fixed (PROD-12)"
    assert "has decided that “SSO login loop” will not be fixed (PROD-12: " in result.text
    assert "close the loop honestly" in result.text
    assert "Why: Legacy SSO is being retired in June." in result.text
    assert "shipped" not in result.text and "shipped" not in result.slack_text


def test_wont_fix_after_the_agent_heard_it_shipped_says_so_and_corrects_it() -> None:
    result = digest("wont_fix", fix_version="2.4.0", fixed_before=True)

    assert result.subject == (
        "3 of your customers to tell: SSO login loop won't be fixed after all (PROD-12)"
    )
    assert result.text.startswith(
        "Hi Alice Moreno,\n\nCorrection: the product team has decided that “SSO login loop” "
        "will not be fixed after all (PROD-12: "
    )
    assert "The fix you heard had shipped in version 2.4.0 no longer counts." in result.text
    assert "You were asked to tell these customers it was fixed." in result.text
    assert "fixed after all" not in digest("shipped", fixed_before=True).subject


def test_versions_are_named_as_a_person_would_list_them() -> None:
    assert in_versions(stored(["2.4.0"])) == " in version 2.4.0"
    assert in_versions(stored(["2.4.0", "2.5.0"])) == " in versions 2.4.0 and 2.5.0"
    assert in_versions(stored(["2.4.0", "2.5.0", "2.6.0"])) == " in versions 2.4.0, 2.5.0 and 2.6.0"
    assert in_versions(stored(["2.4, hotfix", "2.5"])) == " in versions 2.4, hotfix and 2.5"
    assert in_versions(stored([])) == "" and in_versions(None) == ""
    result = digest(fix_version=stored(["2.4.0", "2.5.0"]))
    assert result.subject == (
        "3 of your customers to tell: SSO login loop is fixed in versions 2.4.0 and 2.5.0 (PROD-12)"
    )


def test_regressed_warns_that_the_problem_is_back() -> None:
    result = digest("regressed")

    assert result.subject == "3 of your customers to warn: SSO login loop is back (PROD-12)"
    assert "“SSO login loop” is back: it was reported again after the fix shipped" in result.text
    assert "What came back" not in result.text  # no report in the customers' words: no list
    assert "You were asked to tell these customers it was fixed. If you did" in result.text


def test_reopened_says_the_fix_is_being_looked_at_again_not_that_it_is_back() -> None:
    result = digest("reopened")

    assert result.subject == (
        "3 of your customers to update: SSO login loop was reopened in Jira (PROD-12)"
    )
    assert "“SSO login loop” was reopened in Jira (PROD-12: " in result.text
    assert "is being looked at again; nobody has reported it back" in result.text
    assert "You were asked to tell these customers it was fixed" in result.text
    assert "is back" not in result.text and "regressed" not in result.text


def test_one_customer_is_one_not_one_of_1() -> None:
    result = digest(lines=[MARIA])

    assert result.subject == "One of your customers to tell: SSO login loop is fixed (PROD-12)"
    assert "One of your customers told you about it" in result.text


def test_slack_text_says_whom_it_is_for_and_links_jira_and_each_ticket() -> None:
    slack = digest().slack_text

    assert slack.startswith("*For Alice Moreno (alice@support.example):* Good news: ")
    assert f"(<{JIRA_URL}|PROD-12>)" in slack
    # `&` inside a link's URL is escaped too, as Slack writes it.
    assert (
        "• *Maria Lopez* at Acme Corp (maria.lopez@acme-corp.com)\n"
        "    “Stuck in a login loop after SSO” — "
        "<https://secure.helpscout.net/conversation/1001/42?folder=7&amp;tab=notes"
        "|helpscout-main #1001>"
    ) in slack
    assert "<https://globex.zendesk.com/agent/tickets/2002|zendesk-eu #2002>" in slack
    assert [url for url, _ in OUR_LINK.findall(slack)] == [
        JIRA_URL,
        "https://secure.helpscout.net/conversation/1001/42?folder=7&amp;tab=notes",
        "https://globex.zendesk.com/agent/tickets/2002",
        "https://app.intercom.com/a/apps/x1/inbox/inbox/conversation/77",
    ]


def test_customer_text_cannot_mention_link_or_break_lines_in_slack() -> None:
    hostile = DigestLine(
        customer_name="Eve <!channel> & <@U024BE7LH>",
        customer_email="eve@evil.example",
        account="<https://evil.example|Acme Corp>",
        their_words="help\n• *Fake Customer* <!here>\r\nmore",
        ticket_url="https://evil.example/a b|<!everyone>",
        source="generic",
        ticket_id="9>",
    )
    slack = digest(lines=[hostile]).slack_text

    assert "<!" not in slack and "<@" not in slack and "<https://evil.example|" not in slack
    assert "Eve &lt;!channel&gt; &amp; &lt;@U024BE7LH&gt;" in slack
    assert "“help • *Fake Customer* &lt;!here&gt; more”" in slack
    assert "<https://evil.example/a%20b%7C%3C!everyone%3E|generic #9&gt;>" in slack


def test_only_http_urls_become_links_and_others_are_left_out() -> None:
    lines = [
        replace(MARIA, ticket_url="javascript:alert(1)"),
        replace(CHEN, ticket_url="mailto:chen@globex.example"),
    ]
    result = digest(lines=lines, jira_url="file:///etc/passwd")

    for body in (result.text, result.slack_text):
        assert "javascript:" not in body and "mailto:" not in body and "file:" not in body
        assert "helpscout-main #1001" in body and "(PROD-12)" in body
        assert "Each ticket is linked" not in body
    assert OUR_LINK.findall(result.slack_text) == []


def test_a_customer_with_two_tickets_is_one_entry_with_both() -> None:
    again = DigestLine(
        customer_name=None,
        customer_email="MARIA.LOPEZ@acme-corp.com",
        account=None,
        their_words="Still looping after the SSO change",
        ticket_url=None,
        source="zendesk-eu",
        ticket_id="2107",
    )
    result = digest(lines=[MARIA, CHEN, again, MARIA])

    assert result.subject.startswith("2 of your customers to tell:")
    assert result.text.count("Maria Lopez") == 1
    assert (
        "1. Maria Lopez at Acme Corp (maria.lopez@acme-corp.com)\n"
        "   “Stuck in a login loop after SSO” — helpscout-main #1001: https://secure."
    ) in result.text
    assert "   “Still looping after the SSO change” — zendesk-eu #2107\n\n2. Chen Wei" in (
        result.text
    )
    assert "Where a ticket is linked, you can reply right in the conversation." in result.text


def test_subject_is_one_line_even_if_the_title_is_not() -> None:
    result = digest(problem_title="SSO\r\nBcc: everyone@example.com", jira_key="PROD-12\n")

    assert result.subject == (
        "3 of your customers to tell: SSO Bcc: everyone@example.com is fixed (PROD-12)"
    )


def test_an_agent_without_a_name_is_greeted_by_e_mail() -> None:
    result = digest(agent_name=None)

    assert result.text.startswith("Hi alice@support.example,\n")
    assert result.slack_text.startswith("*For alice@support.example:* ")


def test_unknown_outcome_and_empty_digest_are_refused() -> None:
    with pytest.raises(ValueError, match="outcome"):
        digest("fixed")
    with pytest.raises(ValueError, match="at least one customer"):
        digest(lines=[])


# --- customer text is arbitrary: it never makes a link, a mention or a line ------------------

HOSTILE_BITS = st.sampled_from(
    [
        "<!channel>",
        "<@U024BE7LH>",
        "<#C0123|general>",
        "<https://evil.example|click>",
        "<",
        ">",
        "&",
        "&lt;",
        "|",
        "\n",
        "\r\n",
        "\r",
        "\u2028",
        "\x85",
        "\x0b",
        "\x00",
        "\u202e",
        "*",
        "`",
    ]
)
ANY_TEXT = st.lists(
    st.one_of(st.text(st.characters(exclude_categories=())), HOSTILE_BITS), max_size=6
).map("".join)
URLS = st.one_of(
    st.none(),
    ANY_TEXT,
    st.builds(
        lambda host, rest: f"https://{host}.example/{rest}",
        st.from_regex(r"[a-z]{1,8}", fullmatch=True),
        ANY_TEXT,
    ),
)


@st.composite
def customer_groups(draw: st.DrawFn) -> list[DigestLine]:
    """Lines for 1-3 customers with 1-3 tickets each; every field arbitrary, except that a
    prefix keeps customers and tickets apart (it survives shortening) so the shape is known."""
    lines = []
    for customer in range(draw(st.integers(1, 3))):
        name, account = draw(st.none() | ANY_TEXT), draw(st.none() | ANY_TEXT)
        email = f"{customer}-" + draw(ANY_TEXT) + "@x.example"
        for ticket in range(draw(st.integers(1, 3))):
            lines.append(
                DigestLine(
                    customer_name=name,
                    customer_email=email,
                    account=account,
                    their_words=draw(st.none() | ANY_TEXT),
                    ticket_url=draw(URLS),
                    source=draw(ANY_TEXT),
                    ticket_id=f"{customer}.{ticket}/" + draw(ANY_TEXT),
                )
            )
    return lines


def placeholder(lines: list[DigestLine]) -> list[DigestLine]:
    """The same customers and tickets with harmless text: the digest's shape must not change."""
    return [
        DigestLine(
            customer_name="Name",
            customer_email=line.customer_email.split("-", 1)[0] + "@x.example",
            account="Account",
            their_words="words",
            ticket_url="https://example.com/t" if safe_url(line.ticket_url) else None,
            source="source",
            ticket_id=line.ticket_id.split("/", 1)[0],
        )
        for line in lines
    ]


@settings(max_examples=300, deadline=None)
@given(lines=customer_groups(), outcome=st.sampled_from(OUTCOMES))
def test_arbitrary_customer_text_never_escapes_its_place(
    lines: list[DigestLine], outcome: str
) -> None:
    result = digest(outcome, lines=lines)
    shape = digest(outcome, lines=placeholder(lines))

    # No `<` or `>` outside the links we make, and those link only URLs we were given.
    links = OUR_LINK.findall(result.slack_text)
    assert "<" not in OUR_LINK.sub("", result.slack_text)
    assert ">" not in OUR_LINK.sub("", result.slack_text)
    given_urls = {JIRA_URL} | {safe_url(line.ticket_url) for line in lines}
    assert {url.replace("&amp;", "&") for url, _ in links} <= given_urls
    assert len(links) == 1 + sum(1 for line in lines if safe_url(line.ticket_url))
    # Every `&` left is one of Slack's three escapes.
    assert "&" not in re.sub(r"&(amp|lt|gt);", "", result.slack_text)
    # No control character but the line breaks we put there; no lone surrogate.
    for body in (result.subject, result.text, result.slack_text):
        assert not [c for c in body if c != "\n" and unicodedata.category(c) in ("Cc", "Cs")]
    # Customer text never adds or removes a line, in any output.
    assert len(result.subject.splitlines()) == 1
    assert len(result.text.splitlines()) == len(shape.text.splitlines())
    assert len(result.slack_text.splitlines()) == len(shape.slack_text.splitlines())
    assert result.text.splitlines()[-1] == "voice-router"
