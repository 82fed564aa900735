"""voice_router/closing/why.py: which comment on a won't-fix issue says why. The newest one
made by a person around the resolution, seen by everyone who can see the issue; never
voice-router's own (business notes, notices) nor an app's, and nothing from long before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from voice_router.closing.why import pick, plain

RESOLVED = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
US = {"accountId": "bot-1", "displayName": "voice-router"}
PAT = {"accountId": "pat-1", "displayName": "Pat Lee", "accountType": "atlassian"}
OURS = {"accountId:bot-1"}


def comment(body: str, author: dict, at: datetime, **more: object) -> dict:
    created = at.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    return {"body": body, "author": author, "created": created, **more}


def test_the_newest_comment_of_a_person_is_the_reason_not_ours_nor_an_apps() -> None:
    automation = {"accountId": "app-9", "displayName": "Automation", "accountType": "app"}
    newest_first = [
        comment("Business note from Ann: renewal at risk", US, RESOLVED),
        comment("Closed by rule", automation, RESOLVED),
        comment("Restricted: legal said no", PAT, RESOLVED, visibility={"type": "role"}),
        comment("SAML replaces legacy SSO in June.", PAT, RESOLVED - timedelta(minutes=3)),
        comment("Older thought", PAT, RESOLVED - timedelta(hours=2)),
    ]
    assert pick(newest_first, OURS, RESOLVED) == ("Pat Lee", "SAML replaces legacy SSO in June.")


def test_a_comment_from_long_before_the_resolution_is_not_taken_for_the_reason() -> None:
    old = [comment("I can reproduce this on Safari", PAT, RESOLVED - timedelta(days=3))]
    assert pick(old, OURS, RESOLVED) is None


def test_on_data_center_our_own_comments_are_known_by_the_user_name() -> None:
    ours_on_dc = {"name": "vr-bot", "key": "JIRAUSER1", "displayName": "voice-router"}
    found = [comment("Regression notice", ours_on_dc, RESOLVED)]
    assert pick(found, {"name:vr-bot", "key:JIRAUSER1"}, RESOLVED) is None


def test_wiki_markup_reads_as_words() -> None:
    assert plain("{quote}See [the plan|https://wiki.example/p] and ask [~jsmith]{quote}") == (
        "See the plan and ask @jsmith"
    )
    assert plain("[~accountid:5b10ac8d82e05b22cc7d4ef5] decided") == "@someone decided"
