"""`Mentions.found` skips the pattern where a text lacks a lowered piece of the address or the
name (voice_router/problems/mentions.py): it must answer exactly as the pattern does, for
every letter case and for the letters Python's case-insensitive matching takes for ASCII
ones: U+0130 and U+0131 for i, the Kelvin sign U+212A for k, the long s U+017F for s."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from voice_router.problems.mentions import FORGOTTEN, Mentions, cut_json, cut_text

LOOK_ALIKES = {"i": "\u0130\u0131", "k": "\u212a", "s": "\u017f"}
LETTERS = "abcdefghijklmnopqrstuvwxyzäéß"


def respelled(text: str, draw_case: list[bool], draw_alike: list[bool]) -> str:
    """`text` as a sender might spell it: letters in either case, and the look-alikes that a
    case-insensitive pattern takes for i, k and s."""
    out = []
    for char, upper, alike in zip(text, draw_case, draw_alike, strict=False):
        if alike and char.lower() in LOOK_ALIKES:
            out.append(LOOK_ALIKES[char.lower()][0])
        else:
            out.append(char.upper() if upper else char)
    return "".join(out) + text[len(out) :]


words = st.text(alphabet=LETTERS, min_size=1, max_size=8)
emails = st.builds(
    lambda local, domain, tld: f"{local}@{domain}.{tld}",
    st.text(alphabet=LETTERS + "0123456789._+-", min_size=1, max_size=10),
    words,
    st.text(alphabet="comsikde", min_size=2, max_size=4),
)
ALIKES = "".join(LOOK_ALIKES.values())
noise = st.text(alphabet=LETTERS + LETTERS.upper() + ALIKES + " @.\n\t-_", max_size=30)


@settings(max_examples=400, deadline=None)
@given(
    email=emails,
    name=st.lists(words, min_size=2, max_size=3).map(" ".join),
    before=noise,
    after=noise,
    which=st.sampled_from(["email", "name", "neither"]),
    cases=st.lists(st.booleans(), min_size=40, max_size=40),
    alikes=st.lists(st.booleans(), min_size=40, max_size=40),
    gap=st.sampled_from([" ", "  ", "\n", "\t "]),
)
def test_found_answers_as_the_pattern_does(email, name, before, after, which, cases, alikes, gap):
    mentions = Mentions(email, [name])
    said = {"email": email, "name": gap.join(name.split()), "neither": "nobody"}[which]
    text = f"{before} {respelled(said, cases, alikes)} {after}"
    for pattern in (mentions.email, mentions.name, mentions.any):
        assert pattern is not None
        assert mentions.found(text, pattern) == bool(pattern.search(text)), (pattern, text)


def escaped(text: str, flags: list[bool], url: bool) -> str:
    """`text` inside a JSON string as a sender may write it: some characters as `\\u` escapes,
    and with `url` the `@` URL-encoded."""
    if url:
        text = text.replace("@", "%40")
    return "".join(
        f"\\u{ord(c):04x}" if flag else json.dumps(c)[1:-1]
        for c, flag in zip(text, [*flags, *[False] * len(text)], strict=False)
    )


@settings(max_examples=300, deadline=None)
@given(
    email=emails,
    name=st.lists(words, min_size=2, max_size=3).map(" ".join),
    before=noise,
    which=st.sampled_from(["email", "name", "neither"]),
    cases=st.lists(st.booleans(), min_size=40, max_size=40),
    alikes=st.lists(st.booleans(), min_size=40, max_size=40),
    escapes=st.lists(st.booleans(), min_size=40, max_size=40),
    url=st.booleans(),
)
def test_cutting_json_with_the_needles_cuts_what_the_pattern_alone_cuts(
    email, name, before, which, cases, alikes, escapes, url
):
    mentions = Mentions(email, [name])
    said = {"email": email, "name": name.replace(" ", "\n", 1), "neither": "nobody"}[which]
    inside = escaped(respelled(said, cases, alikes), escapes, url)
    text = f'{{"text": {json.dumps(before)}, "said": "{inside}", {json.dumps(said)}: 1}}'
    for pattern in (mentions.email, mentions.any):
        assert cut_json(text, pattern, mentions) == cut_json(text, pattern)


def test_an_address_spelled_with_look_alikes_is_still_found_and_cut():
    mentions = Mentions("kris@sikora.is", ["Kris Sikora"])
    text = "mail \u212aR\u0130S@\u017fIKORA.\u0130S or KRIS\n SIKORA"
    assert mentions.found(text, mentions.email)
    assert mentions.found(text, mentions.name)
    assert cut_text(text, mentions.any) == f"mail {FORGOTTEN} or {FORGOTTEN}"


def test_raw_bodies_are_searched_through_their_escapes():
    mentions = Mentions("ann.lee@acme.com", ["Ann Lée"])
    for raw in (
        b'{"email": "ann.lee\\u0040acme.com"}',
        b"to=ann.lee%40acme.com&x=1",
        b"{quote}ann.lee\\@acme\\.com{quote}",
        b'{"name": "Ann L\\u00e9e"}',
        b'{"signature": "Thanks,\\nAnn\\nL\\u00e9e"}',  # her name across a line break
    ):
        assert mentions.in_raw(raw), raw
    # the name's needle ("ann") is in it, the address's is not: the patterns decide
    assert not mentions.in_raw(b'{"email": "ann.leeds@acme.com", "name": "Annie L\\u00e9e"}')
    # two strings are never read as one: "Ann" ends one, "Lée" starts the next
    assert not mentions.in_raw(b'{"first": "Ann", "last": "L\\u00e9e", "n": "x\\ny"}')
