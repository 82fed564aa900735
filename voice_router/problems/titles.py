"""Titles people recognise: a problem's tag as words, spelled the way its tickets spell them.

Until a PM renames a problem its title comes from its tag key (`sso-login-loop`). Each word
keeps a spelling the tickets give it where that spelling is distinctive — capitals inside a
word (`SSO`, `iOS`, `GitHub`), or a capital in mid-sentence (`Okta`, not `Export` at the
start of a subject) — else a spelling from a small list of common acronyms and brands, else
lower case. The first letter of the title is capitalised unless the word is spelled with a
lower-case start on purpose (`iOS crash`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

_ACRONYMS = frozenset(
    {"2fa", "mfa", "sso", "saml", "scim", "ldap", "oauth", "otp", "sms", "csv", "pdf", "xml"}
    | {"json", "html", "css", "api", "sdk", "cli", "ui", "ux", "url", "dns", "ssl", "tls"}
    | {"http", "https", "vpn", "ip", "id", "sla", "crm", "erp", "gdpr", "faq", "qr", "ai"}
    | {"aws", "gcp"}
)
_SPELLED = {
    "ios": "iOS",
    "ipad": "iPad",
    "iphone": "iPhone",
    "macos": "macOS",
    "oauth": "OAuth",
    "github": "GitHub",
    "gitlab": "GitLab",
    "hubspot": "HubSpot",
    "paypal": "PayPal",
    "linkedin": "LinkedIn",
    "youtube": "YouTube",
    "wordpress": "WordPress",
    "javascript": "JavaScript",
    "quickbooks": "QuickBooks",
    "sharepoint": "SharePoint",
    "onedrive": "OneDrive",
    "okta": "Okta",
    "google": "Google",
    "microsoft": "Microsoft",
    "outlook": "Outlook",
    "slack": "Slack",
    "jira": "Jira",
    "salesforce": "Salesforce",
    "zendesk": "Zendesk",
    "stripe": "Stripe",
    "android": "Android",
    "windows": "Windows",
    "safari": "Safari",
    "chrome": "Chrome",
    "firefox": "Firefox",
    "azure": "Azure",
    "excel": "Excel",
}
BUILT_IN = {word: _SPELLED.get(word, word.upper()) for word in _ACRONYMS} | _SPELLED
_TOKEN = re.compile(r"[0-9A-Za-z\u00c0-\u024f]+")
_SENTENCE_END = re.compile(r"[.!?:]\s*$")


def title_for(key: str, texts: Iterable[str | None] = ()) -> str:
    """The title of a problem whose tag key is `key`, given texts of its tickets (subjects,
    first messages, the raw tag)."""
    words = [w for w in key.split("-") if w]
    if not words:
        return key
    seen = _spellings(texts, {w.casefold() for w in words})
    spelled = [_spelling(word, seen.get(word.casefold())) for word in words]
    first = spelled[0]
    if first == first.lower():
        spelled[0] = first[:1].upper() + first[1:]
    return " ".join(spelled)


def _spelling(word: str, votes: Counter[str] | None) -> str:
    if votes:
        return votes.most_common(1)[0][0]
    return BUILT_IN.get(word.casefold(), word)


def _spellings(texts: Iterable[str | None], wanted: set[str]) -> dict[str, Counter[str]]:
    """Distinctive spellings of the wanted words in the texts, counted."""
    votes: dict[str, Counter[str]] = {}
    for text in texts:
        if not text or _shouting(text):
            continue
        tokens = list(_TOKEN.finditer(text[:2000]))
        title_case = _title_cased([t.group(0) for t in tokens])
        for token in tokens:
            word = token.group(0)
            folded = word.casefold()
            if folded not in wanted or word == folded:
                continue
            inner_capital = any(ch.isupper() for ch in word[1:])
            styled = inner_capital and not (word.isupper() and len(word) > 5)
            proper = word[:1].isupper() and not title_case and not _starts_sentence(text, token)
            if styled or proper:
                votes.setdefault(folded, Counter())[word] += 1
    return votes


def _shouting(text: str) -> bool:
    letters = [ch for ch in text[:2000] if ch.isalpha()]
    return len(letters) >= 8 and sum(ch.isupper() for ch in letters) * 10 > len(letters) * 6


def _title_cased(words: list[str]) -> bool:
    """Most longer words capitalised: a Title Case Subject says nothing about spelling."""
    longer = [w for w in words if len(w) > 3 and w[:1].isalpha()]
    return len(longer) >= 2 and sum(w[:1].isupper() for w in longer) * 2 > len(longer)


def _starts_sentence(text: str, token: re.Match[str]) -> bool:
    before = text[: token.start()].rstrip()
    return not before or bool(_SENTENCE_END.search(before)) or before.endswith("\n")
