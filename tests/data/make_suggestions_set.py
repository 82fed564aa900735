"""Builds tests/data/suggestions.json, the labelled set for merge suggestions (see README.md).

    python tests/data/make_suggestions_set.py

Everything below the imports was written by hand for this project: each CLUSTER is one real
product problem — its domain, the subjects customers write when they hit it, and the pain
tags support agents used for it (the first tag is the canonical one, the others are labelled
with how they vary). Tags in one cluster are duplicates of each other; tags in different
clusters are different problems. HARD_NEGATIVES lists pairs that look alike but are not.

The script only adds the context a real database would hold, with a fixed seed: tickets per
tag, a subject for each (each written subject is used once per cluster; beyond those, and for
12% of tickets, a generic filler subject, or for a quarter of the leftovers a verbatim repeat),
and the customer and company who wrote it.
"""

from __future__ import annotations

import itertools
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from voice_router.problems.tags import TagMatcher

sys.path.insert(0, str(Path(__file__).resolve().parent))
from suggestions_fresh import FRESH_CLUSTERS, FRESH_HARD_NEGATIVES
from suggestions_messages import FILLER_MESSAGES, MESSAGES
from suggestions_more import (
    MORE_HARD_NEGATIVES,
    MORE_TAGS,
    NEW_CLUSTERS,
)

SEED = 20261125
OUT = Path(__file__).with_name("suggestions.json")

# (domain, subjects, [(raw tag, variant kind), ...]); the first tag is "canonical".
CLUSTERS: list[tuple[str, list[str], list[tuple[str, str]]]] = [
    # ------------------------------------------------------------------ auth / SSO
    (
        "auth",
        [
            "Stuck in a login loop after SSO",
            "SSO keeps redirecting me back to the login page",
            "Okta sign-in loops forever",
            "Endless redirect when logging in with SSO",
            "Login page refreshes again and again (SAML)",
            "Can't get past the SSO screen, it just loops",
            "Redirect loop on single sign-on",
            "Azure AD login bounces back to the sign in page",
            "login loops forever since this morning",
        ],
        [
            ("pain-sso-login-loop", "canonical"),
            ("pain-login-loop-sso", "word-order"),
            ("pain:Single_Sign_On_Login_Loop", "abbreviation"),
            ("pain-sso-loginloop", "joined-words"),
        ],
    ),
    (
        "auth",
        [
            "Login takes over a minute",
            "Signing in is very slow today",
            "Sign in page hangs for 30 seconds before the dashboard loads",
            "Slow login every morning",
            "It takes forever to log in",
            "Logging in is painfully slow on Chrome",
        ],
        [
            ("pain-login-slow", "canonical"),
            ("pain-slow-login", "word-order"),
            ("pain-login-sluggish", "synonym"),
        ],
    ),
    (
        "auth",
        [
            "Never received the password reset email",
            "Reset password email not arriving",
            "Forgot password email doesn't come through",
            "No email after clicking 'forgot password'",
            "Password reset mail missing, checked spam",
            "I requested a reset 3 times, nothing in my inbox",
            "Where is the reset password email?",
        ],
        [
            ("pain-password-reset-email-missing", "canonical"),
            ("pain-pwd-reset-email-missing", "abbreviation"),
            ("pain-password-reset-emails-not-received", "synonym"),
        ],
    ),
    (
        "auth",
        [
            "Password reset link says it has expired",
            "Reset link expired immediately",
            "'This link has expired' when resetting my password",
            "Reset password token invalid right after I get the email",
            "Link in the reset email already expired",
            "Password reset link dead on arrival",
        ],
        [
            ("pain-password-reset-link-expired", "canonical"),
            ("pain-reset-link-expired", "subset"),
        ],
    ),
    (
        "auth",
        [
            "Authenticator code is always invalid",
            "2FA code not accepted",
            "Two-factor code rejected even though it's correct",
            "Can't log in: invalid verification code",
            "Google Authenticator codes don't work anymore",
            "MFA code fails every time",
            "Six digit code from my authenticator app is refused",
        ],
        [
            ("pain-2fa-code-rejected", "canonical"),
            ("pain-two-factor-code-rejected", "abbreviation"),
            ("pain-2fa-codes-rejected", "plural"),
        ],
    ),
    (
        "auth",
        [
            "Not getting the SMS code for two-factor",
            "No text message with my login code",
            "SMS verification code never arrives",
            "2FA text message delayed by 10 minutes",
            "Didn't receive the SMS for MFA",
        ],
        [
            ("pain-2fa-sms-not-received", "canonical"),
            ("pain-mfa-sms-missing", "synonym"),
        ],
    ),
    (
        "auth",
        [
            "SAML certificate expired, nobody can log in",
            "IdP certificate rotation broke SSO",
            "Error: signing certificate is not valid",
            "How do we upload a new SAML certificate?",
        ],
        [("pain-saml-cert-expired", "canonical")],
    ),
    (
        "auth",
        [
            "Getting logged out every 15 minutes",
            "Session expires way too fast",
            "Keep getting kicked out while typing",
            "Can we make the session last longer?",
            "Logged out in the middle of editing",
            "Session timeout is too aggressive",
            "Timed out again while writing a long reply",
        ],
        [
            ("pain-session-timeout-too-short", "canonical"),
            ("pain-logged-out-too-often", "synonym"),
            ("pain-session-timeout-short", "subset"),
        ],
    ),
    (
        "auth",
        [
            "My account is locked",
            "Locked out after 3 failed attempts",
            "Account locked, please unlock",
            "Too many login attempts locked my user",
        ],
        [("pain-account-locked-out", "canonical")],
    ),
    (
        "auth",
        [
            "The 'Sign in with Google' button disappeared",
            "No Google login option on the login page",
            "Google sign-in button gone on Safari",
        ],
        [("pain-google-signin-button-missing", "canonical")],
    ),
    (
        "auth",
        [
            "Error 500 when logging in",
            "Login page throws a server error",
            "Internal server error on sign in",
        ],
        [("pain-login-500-error", "canonical")],
    ),
    (
        "auth",
        [
            "Password rules are too strict",
            "Why must passwords have 14 characters?",
            "Can we relax the password policy?",
        ],
        [("pain-password-policy-too-strict", "canonical")],
    ),
    (
        "auth",
        [
            "Lost my phone, where are my recovery codes?",
            "No backup codes offered when enabling 2FA",
            "Recovery codes page is empty",
        ],
        [("pain-2fa-recovery-codes-missing", "canonical")],
    ),
    # ------------------------------------------------------------------ billing / invoices
    (
        "billing",
        [
            "Can't download invoice PDF",
            "Invoice PDF link gives 404",
            "Where is the PDF for my March invoice?",
            "Download invoice button does nothing",
            "Invoice PDF not available on the billing page",
            "Accounting needs the PDF invoice, it isn't there",
            "Invoice shows but there is no PDF",
            "PDF of last invoice missing",
        ],
        [
            ("pain-invoice-pdf-missing", "canonical"),
            ("pain-invoices-pdf-missing", "plural"),
            ("pain-invocie-pdf-missing", "typo"),
            ("pain-missing-invoice-pdf", "word-order"),
        ],
    ),
    (
        "billing",
        [
            "We didn't receive the invoice by email this month",
            "Invoice email never arrives at billing@",
            "Monthly invoice email missing",
            "Finance didn't get the invoice notification",
            "No invoice emailed after payment",
            "Invoice e-mail not sent for October",
        ],
        [
            ("pain-invoice-email-missing", "canonical"),
            ("pain-invoice-emails-not-sent", "synonym"),
        ],
    ),
    (
        "billing",
        [
            "My card keeps getting declined but it's valid",
            "Payment failed: card declined",
            "Credit card rejected at checkout",
            "Bank says they didn't decline, you did",
            "Can't upgrade, card declined error",
            "Visa declined though the bank approved it",
            "Card payment refused when renewing",
        ],
        [
            ("pain-card-declined", "canonical"),
            ("pain-credit-card-declined", "subset"),
            ("pain-cc-declined", "abbreviation"),
        ],
    ),
    (
        "billing",
        [
            "I was charged twice this month",
            "Duplicate charge on my credit card",
            "Two identical payments taken",
            "Billed twice for the same subscription",
            "Refund the double charge please",
            "Two charges of $49 on my statement",
        ],
        [
            ("pain-double-charge", "canonical"),
            ("pain-charged-twice", "synonym"),
            ("pain-duplicate-charge", "synonym"),
        ],
    ),
    (
        "billing",
        [
            "VAT number not applied to invoice",
            "Reverse charge missing even though we entered our VAT ID",
            "Invoice still includes VAT, we're an EU business",
            "VAT ID field doesn't save",
            "Tax charged despite valid VAT registration",
            "Why are we paying VAT? Our VAT ID is on file",
        ],
        [
            ("pain-vat-id-not-applied", "canonical"),
            ("pain-vat-number-ignored", "synonym"),
            ("pain-vat-not-applied", "subset"),
        ],
    ),
    (
        "billing",
        [
            "Prorated amount looks wrong after upgrade",
            "Upgrade mid-month charged full price",
            "Proration calculation incorrect",
            "Why was I charged the full month when I added seats?",
            "Seat change proration doesn't add up",
        ],
        [
            ("pain-proration-wrong", "canonical"),
            ("pain-prorated-charge-incorrect", "synonym"),
        ],
    ),
    (
        "billing",
        [
            "Invoice is in USD, we pay in EUR",
            "Wrong currency on invoices",
            "Billing currency shows dollars instead of pounds",
        ],
        [("pain-invoice-wrong-currency", "canonical")],
    ),
    (
        "billing",
        [
            "Company address on invoice PDF is outdated",
            "Invoice PDF shows our old billing address",
            "Can't change the address printed on invoices",
        ],
        [("pain-invoice-pdf-wrong-address", "canonical")],
    ),
    (
        "billing",
        [
            "How do I cancel? There's no button",
            "Cancel subscription option missing",
            "I want to cancel but the page errors",
        ],
        [("pain-cannot-cancel-subscription", "canonical")],
    ),
    (
        "billing",
        [
            "Invoices are emailed to our old finance contact",
            "Change the email address invoices go to",
            "Invoice sent to the wrong person",
        ],
        [("pain-invoice-email-wrong-recipient", "canonical")],
    ),
    # ------------------------------------------------------------------ exports
    (
        "exports",
        [
            "CSV export fails with an error",
            "Export to CSV shows 'something went wrong'",
            "Can't export my contacts as CSV",
            "CSV download errors out",
            "Exporting to csv broken since yesterday",
            "Export button gives error 500",
            "CSV export never completes",
            "csv export failed again",
        ],
        [
            ("pain-csv-export-fails", "canonical"),
            ("pain-csv-export-failing", "plural"),
            ("pain-export-csv-fails", "word-order"),
            ("pain-csv.export-fail", "separator"),
        ],
    ),
    (
        "exports",
        [
            "Large export times out after 5 minutes",
            "Exporting 200k rows never finishes",
            "Export request timed out",
            "Big exports fail with a gateway timeout",
            "Full data export hits a timeout",
            "Export of all deals times out",
        ],
        [
            ("pain-export-timeout", "canonical"),
            ("pain-large-export-times-out", "synonym"),
            ("pain-export-timeouts", "plural"),
        ],
    ),
    (
        "exports",
        [
            "Exported file shows weird characters in Excel",
            "Umlauts broken in export",
            "Accents turn into gibberish in the XLSX",
            "Excel export encoding is wrong (UTF-8?)",
            "Japanese names garbled in export",
        ],
        [
            ("pain-excel-export-garbled-characters", "canonical"),
            ("pain-xlsx-export-encoding", "synonym"),
        ],
    ),
    (
        "exports",
        [
            "PDF export is a blank page",
            "Exported report PDF is empty",
            "Export to PDF gives white pages",
            "Downloaded PDF has no content",
            "Print to PDF shows nothing",
            "Blank PDF when exporting a dashboard",
        ],
        [
            ("pain-export-pdf-blank", "canonical"),
            ("pain-pdf-export-blank", "word-order"),
            ("pain-pdf-export-empty-page", "synonym"),
        ],
    ),
    (
        "exports",
        [
            "Our weekly scheduled export didn't arrive",
            "Scheduled report email not sent on Monday",
            "Automatic export stopped being delivered",
            "Haven't received the daily export for a week",
        ],
        [
            ("pain-scheduled-export-not-sent", "canonical"),
            ("pain-scheduled-exports-missing", "synonym"),
        ],
    ),
    (
        "exports",
        [
            "Custom fields are not included in export",
            "Export doesn't contain our custom columns",
            "Where are custom field values in the CSV?",
        ],
        [("pain-export-missing-custom-fields", "canonical")],
    ),
    (
        "exports",
        [
            "CSV export uses commas, Excel in Germany needs semicolons",
            "Wrong delimiter in exported CSV",
            "All columns end up in one cell when opening the export",
        ],
        [("pain-export-csv-wrong-delimiter", "canonical")],
    ),
    (
        "exports",
        [
            "Export is missing rows",
            "CSV only contains the first 1000 rows",
            "Not all records exported",
        ],
        [("pain-csv-export-missing-rows", "canonical")],
    ),
    # ------------------------------------------------------------------ mobile sync
    (
        "mobile",
        [
            "iPhone app doesn't sync my changes",
            "iOS app stuck on 'syncing...'",
            "Changes made on iPad don't show on web",
            "Sync failed error on iOS",
            "Mobile app (iOS) out of date with desktop",
            "iOS app won't sync since the update",
            "iPhone shows old data, sync broken",
        ],
        [
            ("pain-ios-sync-fails", "canonical"),
            ("pain-ios-sync-failing", "plural"),
            ("pain-iphone-app-not-syncing", "synonym"),
        ],
    ),
    (
        "mobile",
        [
            "Android app not syncing",
            "Sync error on my Samsung phone",
            "Android app shows old data",
            "Pixel: sync spinner forever",
            "Android sync broken after latest version",
        ],
        [
            ("pain-android-sync-fails", "canonical"),
            ("pain-android-sync-failure", "plural"),
        ],
    ),
    (
        "mobile",
        [
            "Edits made offline disappeared when I reconnected",
            "Lost all my notes from the flight",
            "Offline mode lost my changes",
            "Worked offline, nothing saved",
            "Changes vanish after going back online",
            "Offline edits gone after sync",
        ],
        [
            ("pain-offline-changes-lost", "canonical"),
            ("pain-offline-edits-lost", "synonym"),
            ("pain-lost-offline-changes", "word-order"),
        ],
    ),
    (
        "mobile",
        [
            "App crashes as soon as I open it",
            "Crash on startup after update",
            "Mobile app closes immediately",
            "App won't open, just crashes",
            "Crashing at launch on iOS 18",
            "Can't open the app anymore",
            "App crash on launch, Android 15",
        ],
        [
            ("pain-app-crash-on-launch", "canonical"),
            ("pain-app-crashes-on-startup", "synonym"),
            ("pain-mobile-app-crash-launch", "subset"),
        ],
    ),
    (
        "mobile",
        [
            "Sync created duplicate contacts",
            "Every sync doubles my entries",
            "Duplicated records after syncing my phone",
        ],
        [("pain-sync-creates-duplicates", "canonical")],
    ),
    (
        "mobile",
        [
            "Text invisible in dark mode on iPhone",
            "Dark mode makes labels unreadable",
            "iOS dark mode contrast is terrible",
        ],
        [("pain-ios-app-dark-mode-unreadable", "canonical")],
    ),
    # ------------------------------------------------------------------ notifications
    (
        "notifications",
        [
            "Not receiving push notifications on my phone",
            "Push alerts stopped working",
            "No notifications on mobile anymore",
            "Phone doesn't get notified of new messages",
            "Push notifications missing since the iOS update",
            "Notifications enabled but nothing comes through",
            "No push when a customer replies",
        ],
        [
            ("pain-push-notifications-not-arriving", "canonical"),
            ("pain-no-push-notifications", "synonym"),
            ("pain-push-notif-missing", "abbreviation"),
        ],
    ),
    (
        "notifications",
        [
            "Not getting email notifications",
            "Email alerts for new comments stopped",
            "I don't receive notification emails",
            "No emails when someone assigns me",
            "Email notifications stopped last week",
            "Notification emails are not sent anymore",
        ],
        [
            ("pain-email-notifications-missing", "canonical"),
            ("pain-e-mail-notifications-missing", "separator"),
            ("pain-email-notification-missing", "plural"),
        ],
    ),
    (
        "notifications",
        [
            "Slack channel no longer gets notifications",
            "Slack alerts stopped posting",
            "Nothing posted to #support from the app",
            "Slack messages missing for new tickets",
            "Slack notifications stopped after reconnecting",
        ],
        [
            ("pain-slack-notifications-missing", "canonical"),
            ("pain-slack-notifs-not-posting", "abbreviation"),
        ],
    ),
    (
        "notifications",
        [
            "Notifications arrive hours late",
            "Alerts delayed by 30+ minutes",
            "Got the reminder after the meeting had started",
            "Notification lag is getting worse",
            "Why are notifications so slow to arrive?",
            "Delayed notifications all day",
        ],
        [
            ("pain-notifications-delayed", "canonical"),
            ("pain-notification-delay", "plural"),
            ("pain-delayed-notifications", "word-order"),
        ],
    ),
    (
        "notifications",
        [
            "I unsubscribed but still get emails",
            "Unsubscribe doesn't work",
            "Still receiving the digest after opting out",
            "Opted out of notifications, still spammed",
        ],
        [
            ("pain-unsubscribe-not-working", "canonical"),
            ("pain-unsubscribe-ignored", "synonym"),
        ],
    ),
    (
        "notifications",
        [
            "Daily digest arrives at 3am",
            "Digest email uses the wrong time zone",
            "Summary email sent at the wrong hour",
        ],
        [("pain-digest-wrong-timezone", "canonical")],
    ),
    (
        "notifications",
        [
            "Getting every push notification twice",
            "Duplicate push alerts",
            "Phone buzzes twice for each message",
        ],
        [("pain-push-notifications-duplicate", "canonical")],
    ),
    # ------------------------------------------------------------------ search
    (
        "search",
        [
            "Search takes 20 seconds",
            "Searching is really slow",
            "Search results load forever",
            "Global search extremely slow with many records",
            "Search lag makes the app unusable",
            "Why is search so slow lately?",
            "Slow search in the contacts list",
            "Typing in search freezes for seconds",
        ],
        [
            ("pain-search-slow", "canonical"),
            ("pain-slow-search", "word-order"),
            ("pain-search-very-slow", "subset"),
            ("pain-search-performance", "synonym"),
        ],
    ),
    (
        "search",
        [
            "Search returns nothing for names I know exist",
            "No results when searching by email",
            "Search can't find existing contacts",
            "Search shows 0 results",
            "Can't find anything with search",
            "Searching for an order number finds nothing",
        ],
        [
            ("pain-search-no-results", "canonical"),
            ("pain-search-returns-nothing", "synonym"),
            ("pain-search-no-result", "plural"),
        ],
    ),
    (
        "search",
        [
            "Searching 'Jose' doesn't find 'José'",
            "Search doesn't handle accents",
            "Diacritics break search",
            "Müller not found when typing Muller",
        ],
        [
            ("pain-search-ignores-accents", "canonical"),
            ("pain-search-accent-insensitive", "synonym"),
        ],
    ),
    (
        "search",
        [
            "Filters reset when I go back",
            "Search filters are lost after opening a record",
            "Have to reapply filters every time",
            "Filter selection doesn't stick",
        ],
        [
            ("pain-search-filters-reset", "canonical"),
            ("pain-filters-reset-on-back", "synonym"),
        ],
    ),
    (
        "search",
        [
            "Search shows deleted records",
            "New items don't appear in search for hours",
            "Search index out of date",
        ],
        [("pain-search-results-outdated", "canonical")],
    ),
    # ------------------------------------------------------------------ integrations
    (
        "integrations",
        [
            "Salesforce sync failed overnight",
            "Contacts not syncing to Salesforce",
            "SFDC integration error: INVALID_FIELD",
            "Salesforce connector stopped updating",
            "Sync to Salesforce shows a red error",
            "Deals missing in Salesforce",
        ],
        [
            ("pain-salesforce-sync-fails", "canonical"),
            ("pain-sfdc-sync-failing", "abbreviation"),
            ("pain-salesforce-sync-failure", "plural"),
        ],
    ),
    (
        "integrations",
        [
            "HubSpot sync error",
            "Contacts not appearing in HubSpot",
            "HubSpot integration disconnected itself",
            "HubSpot properties not updating",
        ],
        [
            ("pain-hubspot-sync-fails", "canonical"),
            ("pain-hubspot-sync-error", "synonym"),
        ],
    ),
    (
        "integrations",
        [
            "Zap doesn't trigger on new records",
            "Zapier trigger stopped firing",
            "Our Zapier workflow isn't running",
            "New lead trigger in Zapier not working",
            "Zapier doesn't see new entries",
        ],
        [
            ("pain-zapier-trigger-not-firing", "canonical"),
            ("pain-zapier-triggers-not-firing", "plural"),
            ("pain-zapier-zap-not-triggering", "synonym"),
        ],
    ),
    (
        "integrations",
        [
            "Failed webhooks are never retried",
            "Webhook delivery failed once and was lost",
            "No retry on a 500 from our endpoint",
            "Missed webhook events while our server was down",
        ],
        [
            ("pain-webhooks-not-retried", "canonical"),
            ("pain-webhook-retry-missing", "synonym"),
        ],
    ),
    (
        "integrations",
        [
            "Getting 429 Too Many Requests",
            "API rate limit too strict for our sync",
            "Rate limited after 100 calls",
            "Need a higher API rate limit",
            "API throttling breaks our integration",
        ],
        [
            ("pain-api-rate-limit-too-low", "canonical"),
            ("pain-api-rate-limiting", "subset"),
            ("pain-api-429-errors", "synonym"),
        ],
    ),
    (
        "integrations",
        [
            "Jira integration creates duplicate issues",
            "Every comment creates a new Jira ticket",
            "Duplicate Jira issues from the integration",
        ],
        [("pain-jira-integration-duplicate-issues", "canonical")],
    ),
    (
        "integrations",
        [
            "Can't map custom Salesforce fields",
            "Field mapping for Salesforce lacks our custom objects",
            "Need to sync custom fields to SFDC",
        ],
        [("pain-salesforce-field-mapping-missing", "canonical")],
    ),
    # ------------------------------------------------------------------ calendar
    (
        "calendar",
        [
            "Google Calendar events not syncing",
            "Meetings missing from my Google calendar",
            "Calendar sync with Google stopped",
            "Events created in the app don't show in Google Calendar",
            "GCal integration out of sync",
            "Google calendar not updated after rescheduling",
        ],
        [
            ("pain-google-calendar-sync-broken", "canonical"),
            ("pain-gcal-sync-broken", "abbreviation"),
            ("pain-google-cal-sync-broken", "abbreviation"),
        ],
    ),
    (
        "calendar",
        [
            "Outlook calendar not syncing",
            "Events don't appear in Outlook",
            "Office 365 calendar sync error",
            "Outlook invites not updating",
        ],
        [
            ("pain-outlook-calendar-sync-broken", "canonical"),
            ("pain-outlook-sync-broken", "subset"),
        ],
    ),
    (
        "calendar",
        [
            "Meeting times are off by one hour",
            "Events show in the wrong time zone",
            "Calendar shows UTC instead of my timezone",
            "Booked slots shifted after DST",
            "Invites have the wrong time for attendees abroad",
        ],
        [
            ("pain-meeting-times-wrong-timezone", "canonical"),
            ("pain-wrong-timezone-meetings", "word-order"),
            ("pain-meetings-wrong-tz", "abbreviation"),
        ],
    ),
    (
        "calendar",
        [
            "Two people booked the same slot",
            "Booking page allowed a double booking",
            "Got double-booked again",
            "Availability not blocking taken slots",
        ],
        [
            ("pain-double-booking", "canonical"),
            ("pain-double-booked-slots", "synonym"),
        ],
    ),
    (
        "calendar",
        [
            "Editing one recurring event changes all of them",
            "Recurring meeting series broken after edit",
            "Can't edit a single occurrence",
        ],
        [("pain-recurring-event-edit-breaks-series", "canonical")],
    ),
    (
        "calendar",
        [
            "Calendar invite doesn't include the Zoom link",
            "Video link missing from invites",
            "Meeting invitation has no conference link",
        ],
        [("pain-calendar-invite-missing-video-link", "canonical")],
    ),
    # ------------------------------------------------------------------ performance
    (
        "performance",
        [
            "Dashboard takes 30 seconds to load",
            "Home dashboard is very slow",
            "Dashboard spinner for ages",
            "Dashboard loads slowly in the morning",
            "Slow dashboard with many widgets",
            "Main dashboard performance is terrible",
            "Dashboard load time keeps getting worse",
        ],
        [
            ("pain-dashboard-slow", "canonical"),
            ("pain-slow-dashboard", "word-order"),
            ("pain-dashboard-loading-slow", "subset"),
            ("pain-dashbaord-slow", "typo"),
        ],
    ),
    (
        "performance",
        [
            "Browser freezes when opening a list of 5000 contacts",
            "Page becomes unresponsive with big lists",
            "Chrome tab hangs on large tables",
            "Scrolling a large list freezes the UI",
        ],
        [
            ("pain-ui-freezes-large-lists", "canonical"),
            ("pain-browser-freeze-big-list", "synonym"),
        ],
    ),
    (
        "performance",
        [
            "Desktop app uses 4GB of RAM",
            "Memory leak in the desktop client",
            "App gets slower and slower, memory keeps growing",
            "Desktop app eating memory",
        ],
        [
            ("pain-desktop-app-memory-usage", "canonical"),
            ("pain-desktop-app-high-memory", "synonym"),
        ],
    ),
    (
        "performance",
        [
            "API responses sometimes take 10s",
            "Latency spikes on the API every hour",
            "Intermittent slow API calls",
        ],
        [("pain-api-latency-spikes", "canonical")],
    ),
    # ------------------------------------------------------------------ reporting
    (
        "reporting",
        [
            "Reports take minutes to generate",
            "Monthly report generation is very slow",
            "Running a report times out sometimes",
            "Report builder slow with large date ranges",
            "Generating reports hangs",
        ],
        [
            ("pain-report-generation-slow", "canonical"),
            ("pain-slow-reports", "synonym"),
        ],
    ),
    (
        "reporting",
        [
            "Report totals don't match the list",
            "Revenue report sums are wrong",
            "Numbers in the monthly report are incorrect",
            "Report total is off by a few hundred",
            "Dashboard and report totals disagree",
            "Totals row in report wrong",
        ],
        [
            ("pain-report-totals-wrong", "canonical"),
            ("pain-report-total-incorrect", "synonym"),
            ("pain-wrong-totals-in-reports", "word-order"),
        ],
    ),
    (
        "reporting",
        [
            "Chart labels overlap and are unreadable",
            "X axis labels cut off",
            "Bar chart labels overlapping",
        ],
        [("pain-chart-labels-overlap", "canonical")],
    ),
    (
        "reporting",
        [
            "Dashboard widget shows no data",
            "Empty widget on the dashboard",
            "Widget says 'no data' but reports have data",
        ],
        [("pain-dashboard-widget-missing-data", "canonical")],
    ),
    # ------------------------------------------------------------------ permissions
    (
        "permissions",
        [
            "Users with the viewer role can still edit records",
            "Read-only users changing data",
            "Viewer permission allows editing",
            "Our contractors (view only) edited a deal",
            "View-only role isn't view only",
        ],
        [
            ("pain-viewer-can-edit", "canonical"),
            ("pain-viewers-can-edit", "plural"),
            ("pain-read-only-users-can-edit", "synonym"),
        ],
    ),
    (
        "permissions",
        [
            "Admin can't remove a user",
            "Deleting a team member fails",
            "Remove user button greyed out",
            "How do I remove an employee who left?",
            "Can't deactivate user, error",
        ],
        [
            ("pain-admin-cannot-remove-user", "canonical"),
            ("pain-cant-remove-users", "synonym"),
            ("pain-remove-user-button-disabled", "synonym"),
        ],
    ),
    (
        "permissions",
        [
            "Custom role changes don't save",
            "Permission checkboxes reset after saving",
            "Edited role permissions revert",
            "Can't save a new role",
        ],
        [
            ("pain-role-permissions-not-saving", "canonical"),
            ("pain-custom-role-not-saved", "synonym"),
        ],
    ),
    (
        "permissions",
        [
            "New teammate never got the invite email",
            "Invitation email not arriving",
            "Invited user says no email came",
            "Resend invite doesn't work",
            "Team invite missing from inbox",
        ],
        [
            ("pain-invite-email-not-received", "canonical"),
            ("pain-invitation-email-missing", "synonym"),
            ("pain-team-invite-not-received", "subset"),
        ],
    ),
    (
        "permissions",
        [
            "Public share link asks for login",
            "Shared link not accessible to clients",
            "Share link says access denied",
        ],
        [("pain-share-link-requires-login", "canonical")],
    ),
    # ------------------------------------------------------------------ imports
    (
        "imports",
        [
            "CSV import fails at row 1",
            "Uploading a CSV to import contacts gives an error",
            "Import stuck with 'invalid file'",
            "Can't import my spreadsheet",
            "Import from CSV errors out on dates column",
            "CSV import error: unexpected column",
        ],
        [
            ("pain-csv-import-fails", "canonical"),
            ("pain-import-csv-error", "synonym"),
        ],
    ),
    (
        "imports",
        [
            "Import created duplicates of existing contacts",
            "Re-importing doubles everything",
            "Dedupe on import not working",
            "Every import duplicates companies",
        ],
        [
            ("pain-import-creates-duplicates", "canonical"),
            ("pain-duplicate-records-after-import", "synonym"),
        ],
    ),
    (
        "imports",
        [
            "Imported dates have day and month swapped",
            "Date format wrong after CSV import",
            "Import reads 03/04 as March 4th, we're in the UK",
            "Dates shifted after import",
        ],
        [
            ("pain-import-date-format-wrong", "canonical"),
            ("pain-import-dates-swapped", "synonym"),
        ],
    ),
    (
        "imports",
        [
            "Can I import an Excel file directly?",
            "XLSX import not supported",
            "Import only accepts CSV?",
        ],
        [("pain-xlsx-import-unsupported", "canonical")],
    ),
    # ------------------------------------------------------------------ uploads
    (
        "uploads",
        [
            "Can't upload attachments",
            "File upload fails at 99%",
            "Attachment upload error 'network error'",
            "Uploading a PDF attachment fails",
            "Attachments won't upload in Safari",
            "Upload stuck and then fails",
            "Attachment upload failed, tried three browsers",
        ],
        [
            ("pain-attachment-upload-fails", "canonical"),
            ("pain-attachments-upload-failing", "plural"),
            ("pain-file-upload-fails", "synonym"),
            ("pain-upload-attachment-error", "word-order"),
        ],
    ),
    (
        "uploads",
        [
            "10MB attachment limit is too small",
            "Need to attach bigger files",
            "File too large error for a 15MB video",
            "Raise the upload size limit please",
        ],
        [
            ("pain-attachment-size-limit-too-small", "canonical"),
            ("pain-10mb-upload-limit", "synonym"),
        ],
    ),
    (
        "uploads",
        [
            "Image previews show a broken icon",
            "Thumbnails not loading",
            "Can't preview uploaded images",
            "Images appear as grey boxes",
            "Preview of PNG attachments broken",
        ],
        [
            ("pain-image-preview-broken", "canonical"),
            ("pain-image-previews-not-loading", "synonym"),
            ("pain-img-preview-broken", "abbreviation"),
        ],
    ),
    (
        "uploads",
        [
            "Uploads are very slow",
            "Uploading a 5MB file takes minutes",
            "Slow upload speed for attachments",
        ],
        [("pain-file-upload-slow", "canonical")],
    ),
    # ------------------------------------------------------------------ outbound e-mail
    (
        "email",
        [
            "Our emails to customers land in spam",
            "Campaign emails marked as spam by Gmail",
            "Replies from the app go to the junk folder",
            "Customers find our messages in spam",
            "Deliverability: everything goes to spam",
        ],
        [
            ("pain-emails-going-to-spam", "canonical"),
            ("pain-email-lands-in-spam", "synonym"),
            ("pain-outbound-email-spam-folder", "synonym"),
        ],
    ),
    (
        "email",
        [
            "Emails from our custom domain bounce",
            "Bounce back after setting up a custom sending domain",
            "DKIM failing on custom domain, emails bounce",
            "Sending domain verified but mails bounce",
        ],
        [
            ("pain-custom-domain-email-bounces", "canonical"),
            ("pain-custom-domain-bounce", "subset"),
        ],
    ),
    (
        "email",
        [
            "Signature formatting lost in replies",
            "Email signature images missing",
            "Signature shows as plain text",
        ],
        [("pain-email-signature-formatting-lost", "canonical")],
    ),
]

# Pairs that look alike (shared words, same feature area) but are different problems.
HARD_NEGATIVES: list[tuple[str, str]] = [
    ("pain-sso-login-loop", "pain-login-slow"),
    ("pain-login-loop-sso", "pain-slow-login"),
    ("pain-sso-login-loop", "pain-login-500-error"),
    ("pain-login-slow", "pain-login-500-error"),
    ("pain-sso-login-loop", "pain-saml-cert-expired"),
    ("pain-sso-loginloop", "pain-login-sluggish"),
    ("pain-password-reset-email-missing", "pain-password-reset-link-expired"),
    ("pain-pwd-reset-email-missing", "pain-reset-link-expired"),
    ("pain-password-reset-email-missing", "pain-invite-email-not-received"),
    ("pain-password-reset-email-missing", "pain-invoice-email-missing"),
    ("pain-password-reset-link-expired", "pain-password-policy-too-strict"),
    ("pain-2fa-code-rejected", "pain-2fa-sms-not-received"),
    ("pain-2fa-codes-rejected", "pain-2fa-recovery-codes-missing"),
    ("pain-2fa-sms-not-received", "pain-2fa-recovery-codes-missing"),
    ("pain-session-timeout-too-short", "pain-export-timeout"),
    ("pain-account-locked-out", "pain-logged-out-too-often"),
    ("pain-google-signin-button-missing", "pain-google-calendar-sync-broken"),
    ("pain-invoice-pdf-missing", "pain-invoice-email-missing"),
    ("pain-invoices-pdf-missing", "pain-invoice-emails-not-sent"),
    ("pain-invoice-pdf-missing", "pain-invoice-pdf-wrong-address"),
    ("pain-invoice-pdf-missing", "pain-export-pdf-blank"),
    ("pain-invoice-pdf-missing", "pain-invoice-wrong-currency"),
    ("pain-invoice-email-missing", "pain-invoice-email-wrong-recipient"),
    ("pain-invoice-email-missing", "pain-email-notifications-missing"),
    ("pain-invoice-pdf-wrong-address", "pain-invoice-email-wrong-recipient"),
    ("pain-card-declined", "pain-double-charge"),
    ("pain-credit-card-declined", "pain-duplicate-charge"),
    ("pain-double-charge", "pain-double-booking"),
    ("pain-duplicate-charge", "pain-sync-creates-duplicates"),
    ("pain-vat-id-not-applied", "pain-invoice-wrong-currency"),
    ("pain-proration-wrong", "pain-report-totals-wrong"),
    ("pain-cannot-cancel-subscription", "pain-unsubscribe-not-working"),
    ("pain-csv-export-fails", "pain-csv-import-fails"),
    ("pain-export-csv-fails", "pain-import-csv-error"),
    ("pain-csv-export-fails", "pain-export-csv-wrong-delimiter"),
    ("pain-csv-export-fails", "pain-csv-export-missing-rows"),
    ("pain-csv-export-failing", "pain-csv-export-missing-rows"),
    ("pain-csv-export-fails", "pain-export-timeout"),
    ("pain-export-timeout", "pain-report-generation-slow"),
    ("pain-excel-export-garbled-characters", "pain-xlsx-import-unsupported"),
    ("pain-xlsx-export-encoding", "pain-xlsx-import-unsupported"),
    ("pain-export-pdf-blank", "pain-invoice-pdf-wrong-address"),
    ("pain-scheduled-export-not-sent", "pain-invoice-emails-not-sent"),
    ("pain-export-missing-custom-fields", "pain-salesforce-field-mapping-missing"),
    ("pain-export-missing-custom-fields", "pain-csv-export-missing-rows"),
    ("pain-ios-sync-fails", "pain-android-sync-fails"),
    ("pain-ios-sync-failing", "pain-android-sync-failure"),
    ("pain-ios-sync-fails", "pain-ios-app-dark-mode-unreadable"),
    ("pain-ios-sync-fails", "pain-sync-creates-duplicates"),
    ("pain-android-sync-fails", "pain-salesforce-sync-fails"),
    ("pain-offline-changes-lost", "pain-sync-creates-duplicates"),
    ("pain-app-crash-on-launch", "pain-desktop-app-memory-usage"),
    ("pain-push-notifications-not-arriving", "pain-email-notifications-missing"),
    ("pain-push-notifications-not-arriving", "pain-push-notifications-duplicate"),
    ("pain-no-push-notifications", "pain-push-notifications-duplicate"),
    ("pain-email-notifications-missing", "pain-slack-notifications-missing"),
    ("pain-e-mail-notifications-missing", "pain-slack-notifs-not-posting"),
    ("pain-notifications-delayed", "pain-push-notifications-not-arriving"),
    ("pain-notifications-delayed", "pain-digest-wrong-timezone"),
    ("pain-unsubscribe-not-working", "pain-email-notifications-missing"),
    ("pain-search-slow", "pain-search-no-results"),
    ("pain-slow-search", "pain-search-returns-nothing"),
    ("pain-search-slow", "pain-dashboard-slow"),
    ("pain-slow-search", "pain-slow-dashboard"),
    ("pain-search-slow", "pain-login-slow"),
    ("pain-search-no-results", "pain-search-results-outdated"),
    ("pain-search-ignores-accents", "pain-search-no-results"),
    ("pain-search-filters-reset", "pain-search-results-outdated"),
    ("pain-salesforce-sync-fails", "pain-hubspot-sync-fails"),
    ("pain-salesforce-sync-failure", "pain-hubspot-sync-error"),
    ("pain-salesforce-sync-fails", "pain-salesforce-field-mapping-missing"),
    ("pain-zapier-trigger-not-firing", "pain-webhooks-not-retried"),
    ("pain-api-rate-limit-too-low", "pain-api-latency-spikes"),
    ("pain-jira-integration-duplicate-issues", "pain-import-creates-duplicates"),
    ("pain-google-calendar-sync-broken", "pain-outlook-calendar-sync-broken"),
    ("pain-gcal-sync-broken", "pain-outlook-sync-broken"),
    ("pain-google-calendar-sync-broken", "pain-calendar-invite-missing-video-link"),
    ("pain-meeting-times-wrong-timezone", "pain-digest-wrong-timezone"),
    ("pain-double-booking", "pain-recurring-event-edit-breaks-series"),
    ("pain-dashboard-slow", "pain-report-generation-slow"),
    ("pain-dashboard-slow", "pain-dashboard-widget-missing-data"),
    ("pain-slow-dashboard", "pain-slow-reports"),
    ("pain-ui-freezes-large-lists", "pain-desktop-app-memory-usage"),
    ("pain-report-totals-wrong", "pain-dashboard-widget-missing-data"),
    ("pain-report-generation-slow", "pain-chart-labels-overlap"),
    ("pain-viewer-can-edit", "pain-role-permissions-not-saving"),
    ("pain-admin-cannot-remove-user", "pain-role-permissions-not-saving"),
    ("pain-invite-email-not-received", "pain-email-notifications-missing"),
    ("pain-invitation-email-missing", "pain-invoice-email-missing"),
    ("pain-share-link-requires-login", "pain-viewer-can-edit"),
    ("pain-csv-import-fails", "pain-import-date-format-wrong"),
    ("pain-import-creates-duplicates", "pain-sync-creates-duplicates"),
    ("pain-import-date-format-wrong", "pain-meeting-times-wrong-timezone"),
    ("pain-csv-import-fails", "pain-xlsx-import-unsupported"),
    ("pain-attachment-upload-fails", "pain-file-upload-slow"),
    ("pain-file-upload-fails", "pain-file-upload-slow"),
    ("pain-attachment-upload-fails", "pain-attachment-size-limit-too-small"),
    ("pain-image-preview-broken", "pain-attachment-upload-fails"),
    ("pain-emails-going-to-spam", "pain-custom-domain-email-bounces"),
    ("pain-email-lands-in-spam", "pain-email-signature-formatting-lost"),
    ("pain-custom-domain-email-bounces", "pain-invoice-email-missing"),
]


def _grow() -> None:
    """Fold the additions of suggestions_more.py (issue 14) into the lists above."""
    for _, subjects, tags in CLUSTERS:
        more_subjects, more_tags = MORE_TAGS.get(tags[0][0], ([], []))
        subjects.extend(more_subjects)
        tags.extend(more_tags)
    CLUSTERS.extend(NEW_CLUSTERS)
    HARD_NEGATIVES.extend(MORE_HARD_NEGATIVES)


_grow()
# The fresh clusters (suggestions_fresh.py) come last, so every earlier cluster and its seeded
# draws stay as they were; their held-out half had not been looked at when they were added.
FRESH_FROM = len(CLUSTERS)
CLUSTERS.extend(FRESH_CLUSTERS)
HARD_NEGATIVES.extend(FRESH_HARD_NEGATIVES)

# Generic subjects that say nothing about the problem (agents tag them anyway).
FILLER_SUBJECTS = [
    "Urgent",
    "Help please",
    "Problem with my account",
    "Quick question",
    "Re: Support request",
    "Follow up on my ticket",
    "Not working",
    "Issue",
    "Bug report",
    "Something is broken",
    "Fwd: complaint from our team",
    "Still waiting for an answer",
]

# Fictional companies: two hand-picked word lists, combined with the seed.
COMPANY_FIRST = [
    "Blue", "North", "Bright", "Silver", "Red", "Green", "Pine", "Oak", "Harbor", "Summit",
    "Cedar", "Granite", "Maple", "River", "Stone", "Copper", "Lumen", "Vista", "Polar", "Amber",
]  # fmt: skip
COMPANY_SECOND = [
    "Labs", "Logistics", "Health", "Media", "Foods", "Systems", "Partners", "Studio", "Dental",
    "Bank", "Freight", "Legal", "Energy", "Robotics", "Travel", "Clinic", "Analytics", "Retail",
]  # fmt: skip
FIRST_NAMES = [
    "Ana", "Ben", "Chloe", "Dev", "Emma", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kemi",
    "Lars", "Mia", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Viktor",
]  # fmt: skip
LAST_NAMES = [
    "Adler", "Bauer", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito",
    "Jensen", "Kowalski", "Lopez", "Moreau", "Nakamura", "Okafor", "Petrov", "Rossi", "Silva",
]  # fmt: skip

COMPANIES = 150
FREE_MAIL_SHARE = 0.08
FILLER_SHARE = 0.12
REPEAT_SHARE = 0.25
NO_MESSAGE_SHARE = 0.2  # tickets whose first message is not stored (none, or not read)
FILLER_MESSAGE_SHARE = 0.6  # of the tickets beyond a cluster's written messages


def build() -> dict:
    rng = random.Random(SEED)
    matcher = TagMatcher(["pain-*", "pain:*"])
    names = [f"{a} {b}" for a, b in itertools.product(COMPANY_FIRST, COMPANY_SECOND)]
    rng.shuffle(names)
    companies = [
        {"name": name, "domain": name.lower().replace(" ", "") + ".example"}
        for name in names[:COMPANIES]
    ]
    # A few large accounts report a lot of everything (Zipf-like sizes).
    size = [1 / (rank + 1) ** 0.9 for rank in range(COMPANIES)]
    domains = sorted({domain for domain, _, _ in CLUSTERS})
    # Each feature area has the accounts that use it most; a problem's reporters come mostly
    # from there, so different problems of one area share accounts too.
    area_accounts = {
        domain: rng.choices(range(COMPANIES), weights=size, k=30) for domain in domains
    }
    people: dict[int, list[tuple[str, str]]] = {}

    def person(company: int | None) -> tuple[str, str, str | None]:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        if company is None:
            email = f"{first}.{last}{rng.randrange(100)}@gmail.com".lower()
            return f"{first} {last}", email, None
        staff = people.setdefault(company, [])
        if staff and rng.random() < 0.5:
            name, email = rng.choice(staff)
        else:
            name = f"{first} {last}"
            email = f"{first}.{last}@{companies[company]['domain']}".lower()
            staff.append((name, email))
        return name, email, companies[company]["name"]

    problems, clusters, positives = [], [], []
    seen: dict[str, str] = {}
    for index, (domain, subjects, tags) in enumerate(CLUSTERS):
        cluster_id = f"c{index:03d}"
        split = "tuning" if index % 2 == 0 else "held_out"
        population = [
            rng.choice(area_accounts[domain]) if rng.random() < 0.65 else
            rng.choices(range(COMPANIES), weights=size)[0]
            for _ in range(rng.randint(6, 12))
        ]  # fmt: skip
        pool = subjects[:]
        rng.shuffle(pool)
        keys = []
        for position, (tag, kind) in enumerate(tags):
            key = matcher.problem_key(tag)
            assert key is not None and key not in seen, (tag, key, seen.get(key or ""))
            seen[key] = tag
            keys.append(key)
            count = rng.randint(3, 6) if position == 0 else rng.randint(1, 3)
            tickets = []
            for _ in range(count):
                if pool and rng.random() >= FILLER_SHARE:
                    subject = pool.pop()  # each written subject once per cluster ...
                elif rng.random() < REPEAT_SHARE:
                    subject = rng.choice(subjects)  # ... then a few verbatim repeats
                else:
                    subject = rng.choice(FILLER_SUBJECTS)
                company = None if rng.random() < FREE_MAIL_SHARE else rng.choice(population)
                name, email, company_name = person(company)
                tickets.append(
                    {
                        "subject": subject,
                        "customer": name,
                        "email": email,
                        "company": company_name,
                        "days_ago": rng.randrange(60),
                    }
                )
            problems.append(
                {
                    "tag": tag,
                    "key": key,
                    "cluster": cluster_id,
                    "kind": kind,
                    "domain": domain,
                    "split": split,
                    "tickets": tickets,
                }
            )
        clusters.append({"id": cluster_id, "domain": domain, "split": split, "keys": keys})
        kinds = {matcher.problem_key(tag): kind for tag, kind in tags}
        for a, b in itertools.combinations(keys, 2):
            kind = kinds[b] if kinds[a] == "canonical" else f"{kinds[a]}+{kinds[b]}"
            positives.append({"a": a, "b": b, "duplicate": True, "kind": kind})

    cluster_of = {p["key"]: p["cluster"] for p in problems}
    negatives = []
    for tag_a, tag_b in HARD_NEGATIVES:
        a, b = matcher.problem_key(tag_a), matcher.problem_key(tag_b)
        assert a in cluster_of and b in cluster_of, (tag_a, tag_b)
        assert cluster_of[a] != cluster_of[b], (tag_a, tag_b)
        negatives.append({"a": a, "b": b, "duplicate": False, "kind": "hard-negative"})
    assert len({(n["a"], n["b"]) for n in negatives}) == len(negatives)

    _first_messages(problems)
    return {
        "about": "Labelled merge-suggestion set for voice-router; see README.md.",
        "licence": "CC0-1.0",
        "companies": companies,
        "clusters": clusters,
        "fresh_clusters": [c["id"] for c in clusters[FRESH_FROM:]],
        "problems": problems,
        "pairs": positives + negatives,
    }


def _first_messages(problems: list[dict]) -> None:
    """Give each ticket its first message (suggestions_messages.py), or none. The draws have
    a seed per cluster, apart from `build`'s, so every other field stays as it was and a
    cluster's messages do not depend on the clusters before it: 20% of tickets get none;
    each written message goes to one ticket of its cluster; tickets beyond those get a
    filler message (60%) or none."""
    tickets: dict[str, list[dict]] = {}
    for problem in problems:
        tickets.setdefault(problem["cluster"], []).extend(problem["tickets"])
    for cluster_id, theirs in tickets.items():
        rng = random.Random(f"{SEED}-messages-{cluster_id}")
        pool = MESSAGES[cluster_id][:]
        rng.shuffle(pool)
        for ticket in theirs:
            message = None
            if rng.random() >= NO_MESSAGE_SHARE:
                if pool:
                    message = pool.pop()
                elif rng.random() < FILLER_MESSAGE_SHARE:
                    message = rng.choice(FILLER_MESSAGES)
            ticket["first_message"] = message
    assert set(MESSAGES) == set(tickets), set(MESSAGES) ^ set(tickets)


def main() -> None:
    data = build()
    OUT.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    pairs = data["pairs"]
    duplicates = sum(p["duplicate"] for p in pairs)
    tickets = [t for p in data["problems"] for t in p["tickets"]]
    messages = sum(t["first_message"] is not None for t in tickets)
    print(
        f"{OUT.name}: {len(data['problems'])} problems in {len(data['clusters'])} clusters, "
        f"{len(pairs)} labelled pairs ({duplicates} duplicate, {len(pairs) - duplicates} hard "
        f"negative); {messages} of {len(tickets)} tickets with a first message"
    )


if __name__ == "__main__":
    main()
