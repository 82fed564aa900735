"""Hand-written additions to the labelled set (issue 14): more ways agents name one pain
(mostly synonyms and paraphrases: `pain-okta-signin` for `pain-sso-login-loop`), a few new
problems, and more look-alike pairs that share words but are different problems.
`make_suggestions_set.py` folds them into its CLUSTERS and HARD_NEGATIVES."""

from __future__ import annotations

# canonical tag of an existing cluster -> (more subjects customers write, more tags)
MORE_TAGS: dict[str, tuple[list[str], list[tuple[str, str]]]] = {
    "pain-sso-login-loop": (
        [
            "Okta login sends me round in circles",
            "Signing in with Okta never finishes",
            "Bounced back and forth between Okta and your login page",
        ],
        [("pain-okta-signin", "synonym"), ("pain-sso-redirect-loop", "synonym")],
    ),
    "pain-login-slow": (
        ["Logging in takes ages", "Sign-in so slow I give up"],
        [("pain-signin-takes-forever", "synonym")],
    ),
    "pain-password-reset-email-missing": (
        ["Clicked forgot password, no mail came"],
        [("pain-forgot-password-no-email", "synonym")],
    ),
    "pain-password-reset-link-expired": (
        ["Reset token invalid", "The password link in the mail doesn't work anymore"],
        [("pain-reset-token-invalid", "synonym")],
    ),
    "pain-2fa-code-rejected": (
        ["MFA says my code is wrong", "Verification code refused at login"],
        [("pain-mfa-code-invalid", "synonym")],
    ),
    "pain-session-timeout-too-short": (
        ["Kicked out while typing a reply", "Session ends after a few minutes"],
        [("pain-kicked-out-while-typing", "synonym")],
    ),
    "pain-invoice-pdf-missing": (
        [
            "No PDF for the invoice",
            "Can't download our invoice",
            "Invoice download link broken",
        ],
        [("pain-pdf-invoice", "subset"), ("pain-cant-download-invoice", "synonym")],
    ),
    "pain-invoice-email-missing": (
        ["No invoice email this month"],
        [("pain-no-invoice-email", "synonym")],
    ),
    "pain-card-declined": (
        ["Payment refused with a valid card", "Card refused on renewal"],
        [("pain-payment-refused", "synonym")],
    ),
    "pain-double-charge": (
        ["Billed twice in March"],
        [("pain-billed-twice", "synonym")],
    ),
    "pain-csv-export-fails": (
        ["CSV export broken", "Export button shows an error", "Can't export to CSV"],
        [("pain-csv-export", "subset"), ("pain-export-button-error", "synonym")],
    ),
    "pain-export-timeout": (
        [
            "CSV export times out on big lists",
            "Report download hangs and then times out",
            "Downloading the full report never finishes",
        ],
        [("pain-csv-export-timeout", "subset"), ("pain-report-download-hangs", "synonym")],
    ),
    "pain-export-pdf-blank": (
        ["Downloaded PDF is just empty"],
        [("pain-empty-pdf-download", "synonym")],
    ),
    "pain-ios-sync-fails": (
        ["Changes on my iPhone don't show up on the web", "iPhone edits never reach desktop"],
        [("pain-iphone-changes-not-showing", "synonym")],
    ),
    "pain-offline-changes-lost": (
        ["Data loss after working offline"],
        [("pain-offline-data-loss", "synonym")],
    ),
    "pain-app-crash-on-launch": (
        ["The app won't open at all", "App closes right after the splash screen"],
        [("pain-app-wont-open", "synonym")],
    ),
    "pain-push-notifications-not-arriving": (
        ["Phone alerts are missing", "No alerts on my phone for new replies"],
        [("pain-phone-alerts-missing", "synonym")],
    ),
    "pain-email-notifications-missing": (
        ["No notification emails at all"],
        [("pain-no-notification-emails", "synonym")],
    ),
    "pain-notifications-delayed": (
        ["Alerts arrive late", "Reminders come an hour too late"],
        [("pain-alerts-arrive-late", "synonym")],
    ),
    "pain-search-slow": (
        ["Search lags badly"],
        [("pain-search-lag", "synonym")],
    ),
    "pain-search-no-results": (
        ["Search finds nothing even for exact names"],
        [("pain-search-finds-nothing", "synonym")],
    ),
    "pain-salesforce-sync-fails": (
        ["SFDC connector shows an error", "Salesforce connector error every night"],
        [("pain-sfdc-connector-error", "synonym")],
    ),
    "pain-zapier-trigger-not-firing": (
        ["Our zaps are not running anymore"],
        [("pain-zaps-not-running", "synonym")],
    ),
    "pain-google-calendar-sync-broken": (
        ["Meetings missing from Google", "Booked meetings never reach my Google calendar"],
        [("pain-meetings-missing-from-google", "synonym")],
    ),
    "pain-meeting-times-wrong-timezone": (
        ["All events off by one hour"],
        [("pain-events-off-by-one-hour", "synonym")],
    ),
    "pain-dashboard-slow": (
        ["Dashboard takes forever to open"],
        [("pain-dashboard-takes-forever", "synonym")],
    ),
    "pain-report-generation-slow": (
        ["Reports hang while generating", "Report stuck on 'generating'"],
        [("pain-reports-hang", "synonym")],
    ),
    "pain-report-totals-wrong": (
        ["Report numbers don't add up"],
        [("pain-report-numbers-dont-add-up", "synonym")],
    ),
    "pain-viewer-can-edit": (
        ["View-only people can change records"],
        [("pain-view-only-role-edits", "synonym")],
    ),
    "pain-invite-email-not-received": (
        ["My teammate's invite never showed up"],
        [("pain-teammate-invite-missing", "synonym")],
    ),
    "pain-csv-import-fails": (
        ["Spreadsheet import gives an error", "Importing our spreadsheet fails"],
        [("pain-spreadsheet-import-error", "synonym")],
    ),
    "pain-attachment-upload-fails": (
        ["Upload stuck at 99% then fails"],
        [("pain-upload-stuck-at-99", "synonym")],
    ),
    "pain-emails-going-to-spam": (
        ["Our replies end up in the junk folder"],
        [("pain-deliverability-junk-folder", "synonym")],
    ),
    "pain-image-preview-broken": (
        ["Thumbnails are broken images"],
        [("pain-thumbnails-broken", "synonym")],
    ),
}

# New problems (domain, subjects, tags), each a look-alike of some problem above.
NEW_CLUSTERS: list[tuple[str, list[str], list[tuple[str, str]]]] = [
    (
        "auth",
        [
            "Okta SCIM provisioning doesn't create users",
            "New hires in Okta are not provisioned",
            "SCIM sync from Okta errors out",
        ],
        [("pain-okta-scim-provisioning-fails", "canonical")],
    ),
    (
        "billing",
        [
            "Invoice PDF takes a minute to download",
            "Downloading invoices is slow",
            "Invoice download spinner for ages",
        ],
        [("pain-invoice-pdf-download-slow", "canonical")],
    ),
    (
        "exports",
        [
            "Dates in the CSV export are in US format",
            "Export shows dates as MM/DD",
            "Exported dates use the wrong format",
        ],
        [("pain-csv-export-wrong-date-format", "canonical")],
    ),
    (
        "mobile",
        [
            "Can't sign in on the iPhone app",
            "iOS app rejects my password, web works",
            "Login fails only in the iPhone app",
            "iPad app says invalid credentials",
        ],
        [
            ("pain-iphone-app-login-fails", "canonical"),
            ("pain-ios-app-cant-sign-in", "synonym"),
        ],
    ),
    (
        "notifications",
        [
            "Push notifications come without sound",
            "No sound for new message alerts",
            "Alerts are silent on my phone",
            "Notification sound stopped working",
        ],
        [
            ("pain-notification-sound-missing", "canonical"),
            ("pain-push-alerts-silent", "synonym"),
        ],
    ),
]

MORE_HARD_NEGATIVES: list[tuple[str, str]] = [
    ("pain-okta-signin", "pain-okta-scim-provisioning-fails"),
    ("pain-sso-redirect-loop", "pain-saml-cert-expired"),
    ("pain-okta-signin", "pain-google-signin-button-missing"),
    ("pain-signin-takes-forever", "pain-sso-login-loop"),
    ("pain-signin-takes-forever", "pain-search-slow"),
    ("pain-forgot-password-no-email", "pain-password-reset-link-expired"),
    ("pain-forgot-password-no-email", "pain-invitation-email-missing"),
    ("pain-reset-token-invalid", "pain-2fa-code-rejected"),
    ("pain-mfa-code-invalid", "pain-mfa-sms-missing"),
    ("pain-mfa-code-invalid", "pain-2fa-recovery-codes-missing"),
    ("pain-kicked-out-while-typing", "pain-account-locked-out"),
    ("pain-pdf-invoice", "pain-invoice-pdf-wrong-address"),
    ("pain-pdf-invoice", "pain-export-pdf-blank"),
    ("pain-cant-download-invoice", "pain-invoice-pdf-download-slow"),
    ("pain-invoice-pdf-missing", "pain-invoice-pdf-download-slow"),
    ("pain-no-invoice-email", "pain-invoice-email-wrong-recipient"),
    ("pain-no-invoice-email", "pain-no-notification-emails"),
    ("pain-payment-refused", "pain-billed-twice"),
    ("pain-billed-twice", "pain-proration-wrong"),
    ("pain-csv-export", "pain-csv-import-fails"),
    ("pain-csv-export", "pain-csv-export-wrong-date-format"),
    ("pain-csv-export-fails", "pain-csv-export-wrong-date-format"),
    ("pain-csv-export-timeout", "pain-csv-export-fails"),
    ("pain-csv-export-timeout", "pain-csv-export-missing-rows"),
    ("pain-report-download-hangs", "pain-report-generation-slow"),
    ("pain-report-download-hangs", "pain-reports-hang"),
    ("pain-export-button-error", "pain-login-500-error"),
    ("pain-empty-pdf-download", "pain-cant-download-invoice"),
    ("pain-iphone-changes-not-showing", "pain-android-sync-fails"),
    ("pain-iphone-changes-not-showing", "pain-iphone-app-login-fails"),
    ("pain-ios-app-cant-sign-in", "pain-sso-login-loop"),
    ("pain-ios-app-cant-sign-in", "pain-ios-sync-fails"),
    ("pain-offline-data-loss", "pain-sync-creates-duplicates"),
    ("pain-app-wont-open", "pain-iphone-app-login-fails"),
    ("pain-phone-alerts-missing", "pain-push-alerts-silent"),
    ("pain-push-notifications-not-arriving", "pain-notification-sound-missing"),
    ("pain-no-notification-emails", "pain-unsubscribe-ignored"),
    ("pain-alerts-arrive-late", "pain-push-notifications-duplicate"),
    ("pain-search-lag", "pain-dashboard-takes-forever"),
    ("pain-search-finds-nothing", "pain-search-results-outdated"),
    ("pain-sfdc-connector-error", "pain-hubspot-sync-error"),
    ("pain-sfdc-connector-error", "pain-salesforce-field-mapping-missing"),
    ("pain-zaps-not-running", "pain-webhook-retry-missing"),
    ("pain-meetings-missing-from-google", "pain-outlook-calendar-sync-broken"),
    ("pain-events-off-by-one-hour", "pain-import-dates-swapped"),
    ("pain-dashboard-takes-forever", "pain-reports-hang"),
    ("pain-report-numbers-dont-add-up", "pain-proration-wrong"),
    ("pain-view-only-role-edits", "pain-custom-role-not-saved"),
    ("pain-teammate-invite-missing", "pain-forgot-password-no-email"),
    ("pain-spreadsheet-import-error", "pain-xlsx-import-unsupported"),
    ("pain-upload-stuck-at-99", "pain-file-upload-slow"),
    ("pain-deliverability-junk-folder", "pain-custom-domain-bounce"),
    ("pain-thumbnails-broken", "pain-upload-stuck-at-99"),
]
