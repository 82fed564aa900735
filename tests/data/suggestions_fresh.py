"""Hand-written fresh clusters for the labelled set (issue 14, second round): 48 new product
problems across the 14 feature areas, written after the held-out half had been looked at by
earlier attempts, so that their held-out half is a fair test again. Each multi-tag cluster
names one pain several ways (mostly other words for it: `pain-refund-not-received`,
`pain-where-is-my-refund`); the one-tag clusters and FRESH_HARD_NEGATIVES are look-alikes of
problems old and new that share words but are different problems.

`make_suggestions_set.py` appends FRESH_CLUSTERS after all earlier clusters (so the earlier
ones, and the seeded draws made for them, are unchanged) and lists their ids as
`fresh_clusters` in suggestions.json. Written for voice-router, CC0 1.0 like the rest of the
data (see README.md)."""

from __future__ import annotations

# (domain, subjects, [(raw tag, variant kind), ...]); the first tag is "canonical".
FRESH_CLUSTERS: list[tuple[str, list[str], list[tuple[str, str]]]] = [
    # ------------------------------------------------------------------ auth
    (
        "auth",
        [
            "The magic link in the sign-in email doesn't work",
            "Login link from the email says invalid",
            "Clicking the email sign-in link just shows an error",
            "Passwordless login link is broken",
            "Magic link opens the login page again instead of signing me in",
            "Email link to log in does nothing on my phone",
        ],
        [
            ("pain-magic-link-not-working", "canonical"),
            ("pain-passwordless-login-link-broken", "synonym"),
            ("pain_email_login_link_invalid", "synonym"),
        ],
    ),
    (
        "auth",
        [
            "After SSO I land in the wrong workspace",
            "Okta login opens our old workspace",
            "SSO signs me into a different team",
        ],
        [("pain-sso-opens-wrong-workspace", "canonical")],
    ),
    (
        "auth",
        [
            "Can't change the email address on my account",
            "Changing my login email doesn't save",
            "New email address reverts to the old one",
            "How do I update the email I log in with? It errors",
            "Email change confirmation never completes",
        ],
        [
            ("pain-cant-change-email-address", "canonical"),
            ("pain-email-change-not-saving", "synonym"),
            ("pain-update-login-email-fails", "synonym"),
        ],
    ),
    (
        "auth",
        [
            "My YubiKey isn't recognised at login",
            "Hardware security key doesn't work in Firefox",
            "WebAuthn prompt never appears",
            "Security key login fails, I have to use backup codes",
            "Passkey not accepted",
        ],
        [
            ("pain-security-key-not-recognized", "canonical"),
            ("pain-yubikey-not-working", "synonym"),
            ("pain-webauthn-key-rejected", "synonym"),
        ],
    ),
    # ------------------------------------------------------------------ billing
    (
        "billing",
        [
            "We were promised a refund two weeks ago, nothing yet",
            "Refund still not on my card",
            "Where is our refund?",
            "Got the refund confirmation but no money back",
            "Cancelled the plan, refund never arrived",
        ],
        [
            ("pain-refund-not-received", "canonical"),
            ("pain-refund-missing", "synonym"),
            ("pain-where-is-my-refund", "synonym"),
        ],
    ),
    (
        "billing",
        [
            "We're paying for users we removed",
            "Invoice counts 25 seats, we have 18",
            "Deactivated users are still billed",
            "Seat count on the bill is wrong",
            "Why are we charged for people who left?",
        ],
        [
            ("pain-seat-count-billed-wrong", "canonical"),
            ("pain-charged-for-removed-users", "synonym"),
            ("pain-billed-for-inactive-seats", "synonym"),
        ],
    ),
    (
        "billing",
        [
            "Upgrade button does nothing",
            "Can't upgrade to the Business plan",
            "Clicking 'Upgrade' shows an error",
        ],
        [("pain-plan-upgrade-button-broken", "canonical")],
    ),
    (
        "billing",
        [
            "We were renewed for a year without any reminder",
            "No heads-up before the annual renewal charge",
            "Auto-renewal came out of nowhere",
            "Please warn us before renewing",
            "Surprise yearly charge on our card",
        ],
        [
            ("pain-annual-renewal-no-warning", "canonical"),
            ("pain-auto-renewal-without-notice", "synonym"),
        ],
    ),
    # ------------------------------------------------------------------ exports
    (
        "exports",
        [
            "The download link in the export email has expired",
            "Export ready email, but the link says expired",
            "Link to my export no longer works",
            "Export link dead by the time I open it",
            "Got the export email this morning, link already invalid",
        ],
        [
            ("pain-export-email-link-expired", "canonical"),
            ("pain-export-download-link-expired", "synonym"),
            ("pain-export-link-dead", "synonym"),
        ],
    ),
    (
        "exports",
        [
            "Exported JSON file won't parse",
            "JSON export is not valid JSON",
            "Our script chokes on the JSON export: trailing comma",
            "JSON export has broken escaping",
        ],
        [
            ("pain-json-export-invalid", "canonical"),
            ("pain-json-export-malformed", "synonym"),
        ],
    ),
    (
        "exports",
        [
            "Export includes everything, not just my filtered view",
            "Filters not applied when exporting",
            "I filtered to 50 rows and the export has 3000",
        ],
        [("pain-export-ignores-filters", "canonical")],
    ),
    (
        "exports",
        [
            "Columns in the CSV are in a different order since last week",
            "Export column order changed and broke our import",
            "Our BI pipeline broke: CSV columns moved",
            "Why did the export columns get shuffled?",
        ],
        [
            ("pain-export-column-order-changed", "canonical"),
            ("pain-export-columns-shuffled", "synonym"),
            ("pain:CSV_Columns_Reordered", "synonym"),
        ],
    ),
    # ------------------------------------------------------------------ mobile
    (
        "mobile",
        [
            "Your app eats my battery",
            "Android app uses 30% battery in the background",
            "Phone gets hot and the battery drains with the app open",
            "Battery drain since the last Android update",
            "App tops the battery usage list",
        ],
        [
            ("pain-android-app-battery-drain", "canonical"),
            ("pain-app-drains-battery", "synonym"),
            ("pain-android-battery-usage-high", "synonym"),
        ],
    ),
    (
        "mobile",
        [
            "Tapping a notification opens the home screen instead of the ticket",
            "Push notification takes me to the wrong place",
            "Notification doesn't open the conversation on iPhone",
            "Deep links from alerts broken on iOS",
        ],
        [
            ("pain-ios-push-opens-wrong-screen", "canonical"),
            ("pain-notification-tap-opens-home", "synonym"),
        ],
    ),
    (
        "mobile",
        [
            "Keyboard hides the reply box on Android",
            "Can't see what I type, the keyboard covers the field",
            "Text box hidden behind the keyboard",
        ],
        [("pain-android-keyboard-covers-input", "canonical")],
    ),
    (
        "mobile",
        [
            "The app logs me out every day",
            "Have to sign in again each time I open the app",
            "Mobile app forgets my login",
            "Signed out of the Android app constantly",
            "iPhone app asks for my password every morning",
        ],
        [
            ("pain-mobile-app-logs-out", "canonical"),
            ("pain-app-keeps-signing-me-out", "synonym"),
            ("pain-mobile-session-lost", "synonym"),
        ],
    ),
    # ------------------------------------------------------------------ notifications
    (
        "notifications",
        [
            "I don't get notified when someone @mentions me",
            "Mentions don't trigger any notification",
            "Colleague tagged me and I never knew",
            "No email when I'm mentioned in a comment",
            "@mention alerts stopped",
        ],
        [
            ("pain-mentions-not-notified", "canonical"),
            ("pain-no-alert-when-mentioned", "synonym"),
            ("pain-at-mention-notification-missing", "synonym"),
        ],
    ),
    (
        "notifications",
        [
            "My notification settings keep resetting",
            "Turned off emails, they came back on",
            "Notification preferences don't save",
            "Unchecked the daily digest and it's checked again",
        ],
        [
            ("pain-notification-settings-not-saved", "canonical"),
            ("pain-notification-preferences-reset", "synonym"),
        ],
    ),
    (
        "notifications",
        [
            "Badge shows 5 unread but there's nothing",
            "Unread counter stuck at 12",
            "Red dot won't go away",
        ],
        [("pain-notification-badge-count-wrong", "canonical")],
    ),
    (
        "notifications",
        [
            "Getting every notification email twice",
            "Each alert arrives two times in my inbox",
            "Double emails for every update",
            "Why do I receive the same email twice?",
        ],
        [
            ("pain-duplicate-email-notifications", "canonical"),
            ("pain-same-email-sent-twice", "synonym"),
        ],
    ),
    # ------------------------------------------------------------------ search
    (
        "search",
        [
            "Search doesn't look inside PDFs",
            "Can't find text that's in an attached document",
            "Attachment contents aren't indexed",
            "Searching for a word in our uploaded files finds nothing",
            "Full-text search skips attachments",
        ],
        [
            ("pain-search-ignores-attachments", "canonical"),
            ("pain-cant-search-inside-files", "synonym"),
            ("pain-attachment-content-not-searchable", "synonym"),
        ],
    ),
    (
        "search",
        [
            "One typo and search finds nothing",
            "Search should handle misspellings",
            "No fuzzy matching: 'recieve' finds zero results",
            "Search is too strict about spelling",
        ],
        [
            ("pain-search-typo-no-results", "canonical"),
            ("pain-search-no-fuzzy-matching", "synonym"),
        ],
    ),
    (
        "search",
        [
            "Oldest results show first",
            "Search ranking makes no sense",
            "The most relevant ticket is on page 3",
        ],
        [("pain-search-results-wrong-order", "canonical")],
    ),
    # ------------------------------------------------------------------ integrations
    (
        "integrations",
        [
            "Slack integration disconnects every few days",
            "Have to reconnect Slack again",
            "Slack app shows 'token revoked'",
            "Our Slack connection keeps dropping",
            "Slack integration logged out again",
        ],
        [
            ("pain-slack-app-disconnects", "canonical"),
            ("pain-slack-integration-keeps-disconnecting", "synonym"),
            ("pain-slack-token-revoked", "synonym"),
        ],
    ),
    (
        "integrations",
        [
            "Nothing posts to our Teams channel",
            "Microsoft Teams connector stopped sending messages",
            "Teams integration set up but the channel stays empty",
            "No updates in MS Teams since Monday",
        ],
        [
            ("pain-teams-integration-not-posting", "canonical"),
            ("pain-ms-teams-messages-missing", "synonym"),
            ("pain-microsoft-teams-channel-silent", "synonym"),
        ],
    ),
    (
        "integrations",
        [
            "Rotating the API key broke all our integrations",
            "After regenerating the API token nothing works",
            "New API key not accepted by the connectors",
        ],
        [("pain-api-key-rotation-breaks-integrations", "canonical")],
    ),
    (
        "integrations",
        [
            "Webhook payload is missing the customer email",
            "Fields missing from the webhook JSON",
            "Our endpoint gets webhooks without the status field",
            "Webhook body incomplete since the update",
        ],
        [
            ("pain-webhook-payload-missing-fields", "canonical"),
            ("pain-webhook-body-incomplete", "synonym"),
        ],
    ),
    # ------------------------------------------------------------------ calendar
    (
        "calendar",
        [
            "Booking page says no times available",
            "Customers see no free slots though my calendar is empty",
            "Scheduling link shows nothing to book",
            "No availability shown on my booking page",
            "Clients can't pick a time, the calendar looks full",
        ],
        [
            ("pain-booking-page-shows-no-slots", "canonical"),
            ("pain-no-available-times-on-booking-page", "synonym"),
            ("pain-scheduling-link-empty", "synonym"),
        ],
    ),
    (
        "calendar",
        [
            "Attendees don't get the meeting reminder",
            "Reminder email before the meeting never goes out",
            "No reminder 1 hour before calls anymore",
            "Meeting reminders stopped",
        ],
        [
            ("pain-calendar-reminders-not-sent", "canonical"),
            ("pain-meeting-reminder-missing", "synonym"),
        ],
    ),
    (
        "calendar",
        [
            "Calendar subscription (ICS) shows old events",
            "iCal feed doesn't update",
            "Subscribed calendar stuck on last week",
        ],
        [("pain-ics-feed-not-updating", "canonical")],
    ),
    # ------------------------------------------------------------------ performance
    (
        "performance",
        [
            "Everything is slow since yesterday's release",
            "App became really sluggish after the update",
            "Every page takes 10 seconds now",
            "Whole product slow today",
            "Since the new version each click lags",
        ],
        [
            ("pain-page-load-slow-after-release", "canonical"),
            ("pain-app-slow-since-update", "synonym"),
            ("pain-everything-sluggish", "synonym"),
        ],
    ),
    (
        "performance",
        [
            "Typing in the editor lags behind",
            "Letters appear a second after I type",
            "Input delay in the reply editor",
            "Editor is laggy with long messages",
        ],
        [
            ("pain-editor-typing-lag", "canonical"),
            ("pain-text-editor-input-delay", "synonym"),
        ],
    ),
    (
        "performance",
        [
            "Chrome tab crashes with 'Aw, Snap'",
            "Browser tab runs out of memory and dies",
            "Page crashes after an hour open",
        ],
        [("pain-browser-tab-crashes", "canonical")],
    ),
    # ------------------------------------------------------------------ reporting
    (
        "reporting",
        [
            "Reports show times in UTC, not our time zone",
            "Daily report cuts off at the wrong hour",
            "Report dates are a day off for us in Sydney",
            "Chart buckets use UTC instead of local time",
            "Numbers per day differ from what we see in the app",
        ],
        [
            ("pain-report-timezone-wrong", "canonical"),
            ("pain-reports-use-utc", "synonym"),
            ("pain-report-dates-shifted", "synonym"),
        ],
    ),
    (
        "reporting",
        [
            "The weekly report email didn't arrive",
            "Scheduled report stopped coming on Mondays",
            "No report in my inbox this week",
            "Automated report emails missing",
        ],
        [
            ("pain-scheduled-report-email-missing", "canonical"),
            ("pain-weekly-report-not-delivered", "synonym"),
        ],
    ),
    (
        "reporting",
        [
            "Saved report forgets its filters",
            "Report filters reset every time I open it",
            "Can't save a filtered report",
        ],
        [("pain-report-filters-not-saved", "canonical")],
    ),
    # ------------------------------------------------------------------ permissions
    (
        "permissions",
        [
            "Guests can read our internal notes!",
            "Private comments visible to external collaborators",
            "Client saw a note meant for the team",
            "Internal notes shown on the shared link",
            "Security issue: guests see private comments",
        ],
        [
            ("pain-guest-sees-internal-notes", "canonical"),
            ("pain-internal-notes-visible-to-guests", "synonym"),
            ("pain-private-comments-leaked", "synonym"),
        ],
    ),
    (
        "permissions",
        [
            "Everyone who signs in with SSO becomes admin",
            "New users from Okta get admin rights",
            "Default role for SSO users is admin, should be member",
            "Just-in-time provisioned users are admins",
        ],
        [
            ("pain-sso-users-get-admin-role", "canonical"),
            ("pain-new-sso-users-admin-by-default", "synonym"),
        ],
    ),
    (
        "permissions",
        [
            "Audit log doesn't show who deleted the record",
            "Some actions missing from the audit log",
            "Audit trail has gaps",
        ],
        [("pain-audit-log-missing-entries", "canonical")],
    ),
    # ------------------------------------------------------------------ imports
    (
        "imports",
        [
            "Import has been 'processing' for 3 hours",
            "Import never finishes",
            "Progress bar stuck at 0% on import",
            "Our upload of contacts is stuck",
            "Import spinner forever",
        ],
        [
            ("pain-import-stuck-processing", "canonical"),
            ("pain-import-never-finishes", "synonym"),
            ("pain-import-hangs-at-0", "synonym"),
        ],
    ),
    (
        "imports",
        [
            "Imported 1,000 rows, only 870 show up",
            "Import silently drops lines",
            "Some records are missing after import",
            "Import summary says success but rows are gone",
        ],
        [
            ("pain-import-skips-rows", "canonical"),
            ("pain-import-missing-records", "synonym"),
            ("pain-rows-dropped-on-import", "synonym"),
        ],
    ),
    (
        "imports",
        [
            "Imported names have weird characters (Ã©)",
            "Umlauts broken after CSV import",
            "Accents garbled on import",
        ],
        [("pain-import-wrong-encoding", "canonical")],
    ),
    # ------------------------------------------------------------------ uploads
    (
        "uploads",
        [
            "Can't upload photos from my iPhone",
            "HEIC files are rejected",
            "Unsupported file type for iPhone pictures",
            "Photos taken on iOS won't attach",
        ],
        [
            ("pain-heic-photos-not-supported", "canonical"),
            ("pain-iphone-photos-upload-rejected", "synonym"),
        ],
    ),
    (
        "uploads",
        [
            "Uploaded files get renamed to random strings",
            "Attachment names lose their accents",
            "File name changes after upload",
            "Our PDFs show up as 'file (1).pdf'",
        ],
        [
            ("pain-uploaded-file-wrong-name", "canonical"),
            ("pain-attachment-filename-garbled", "synonym"),
        ],
    ),
    (
        "uploads",
        [
            "Drag and drop doesn't upload anything",
            "Dropping a file on the ticket does nothing",
            "Can only upload with the button, not by dragging",
        ],
        [("pain-drag-and-drop-upload-broken", "canonical")],
    ),
    # ------------------------------------------------------------------ outbound e-mail
    (
        "email",
        [
            "Customer replies open a new ticket instead of threading",
            "Every email reply becomes a separate conversation",
            "Threads broken: replies not attached",
            "Same customer, five tickets for one email chain",
            "Replies by email don't land in the original ticket",
        ],
        [
            ("pain-reply-emails-not-threaded", "canonical"),
            ("pain-email-replies-create-new-tickets", "synonym"),
            ("pain-customer-replies-split-conversations", "synonym"),
        ],
    ),
    (
        "email",
        [
            "Our replies reach customers 30 minutes later",
            "Outbound emails are delayed",
            "Customer got my answer an hour after I sent it",
            "Sent mail stuck in the queue",
        ],
        [
            ("pain-outgoing-email-delayed", "canonical"),
            ("pain-sent-emails-arrive-late", "synonym"),
        ],
    ),
    (
        "email",
        [
            "Images in incoming emails don't load",
            "Inline pictures show as broken",
            "Screenshots customers paste in emails are missing",
        ],
        [("pain-email-images-not-displayed", "canonical")],
    ),
]

# Pairs that look alike (shared words or the same kind of failure) but are different problems.
FRESH_HARD_NEGATIVES: list[tuple[str, str]] = [
    ("pain-magic-link-not-working", "pain-password-reset-link-expired"),
    ("pain-passwordless-login-link-broken", "pain-reset-token-invalid"),
    ("pain-sso-opens-wrong-workspace", "pain-sso-login-loop"),
    ("pain-sso-opens-wrong-workspace", "pain-sso-users-get-admin-role"),
    ("pain-cant-change-email-address", "pain-invoice-email-wrong-recipient"),
    ("pain-email-change-not-saving", "pain-notification-settings-not-saved"),
    ("pain-security-key-not-recognized", "pain-2fa-code-rejected"),
    ("pain-webauthn-key-rejected", "pain-api-key-rotation-breaks-integrations"),
    ("pain-refund-not-received", "pain-double-charge"),
    ("pain-refund-missing", "pain-invoice-email-missing"),
    ("pain-seat-count-billed-wrong", "pain-proration-wrong"),
    ("pain-charged-for-removed-users", "pain-admin-cannot-remove-user"),
    ("pain-plan-upgrade-button-broken", "pain-cannot-cancel-subscription"),
    ("pain-annual-renewal-no-warning", "pain-double-charge"),
    ("pain-auto-renewal-without-notice", "pain-billed-twice"),
    ("pain-export-email-link-expired", "pain-password-reset-link-expired"),
    ("pain-export-link-dead", "pain-scheduled-export-not-sent"),
    ("pain-json-export-invalid", "pain-excel-export-garbled-characters"),
    ("pain-json-export-malformed", "pain-webhook-payload-missing-fields"),
    ("pain-export-ignores-filters", "pain-csv-export-missing-rows"),
    ("pain-export-ignores-filters", "pain-report-filters-not-saved"),
    ("pain-export-column-order-changed", "pain-export-csv-wrong-delimiter"),
    ("pain-android-app-battery-drain", "pain-desktop-app-memory-usage"),
    ("pain-app-drains-battery", "pain-app-crash-on-launch"),
    ("pain-ios-push-opens-wrong-screen", "pain-push-notifications-not-arriving"),
    ("pain-notification-tap-opens-home", "pain-notification-badge-count-wrong"),
    ("pain-android-keyboard-covers-input", "pain-editor-typing-lag"),
    ("pain-mobile-app-logs-out", "pain-session-timeout-too-short"),
    ("pain-app-keeps-signing-me-out", "pain-logged-out-too-often"),
    ("pain-mobile-session-lost", "pain-iphone-app-login-fails"),
    ("pain-mentions-not-notified", "pain-email-notifications-missing"),
    ("pain-no-alert-when-mentioned", "pain-phone-alerts-missing"),
    ("pain-notification-settings-not-saved", "pain-unsubscribe-not-working"),
    ("pain-notification-preferences-reset", "pain-role-permissions-not-saving"),
    ("pain-notification-badge-count-wrong", "pain-report-totals-wrong"),
    ("pain-duplicate-email-notifications", "pain-push-notifications-duplicate"),
    ("pain-same-email-sent-twice", "pain-double-charge"),
    ("pain-search-ignores-attachments", "pain-search-no-results"),
    ("pain-cant-search-inside-files", "pain-image-preview-broken"),
    ("pain-search-typo-no-results", "pain-search-ignores-accents"),
    ("pain-search-no-fuzzy-matching", "pain-search-returns-nothing"),
    ("pain-search-results-wrong-order", "pain-search-results-outdated"),
    ("pain-slack-app-disconnects", "pain-slack-notifications-missing"),
    ("pain-slack-token-revoked", "pain-api-key-rotation-breaks-integrations"),
    ("pain-teams-integration-not-posting", "pain-slack-notifs-not-posting"),
    ("pain-ms-teams-messages-missing", "pain-slack-app-disconnects"),
    ("pain-api-key-rotation-breaks-integrations", "pain-api-rate-limit-too-low"),
    ("pain-webhook-payload-missing-fields", "pain-webhooks-not-retried"),
    ("pain-webhook-body-incomplete", "pain-salesforce-field-mapping-missing"),
    ("pain-booking-page-shows-no-slots", "pain-double-booking"),
    ("pain-scheduling-link-empty", "pain-share-link-requires-login"),
    ("pain-calendar-reminders-not-sent", "pain-calendar-invite-missing-video-link"),
    ("pain-meeting-reminder-missing", "pain-notifications-delayed"),
    ("pain-ics-feed-not-updating", "pain-google-calendar-sync-broken"),
    ("pain-page-load-slow-after-release", "pain-dashboard-slow"),
    ("pain-app-slow-since-update", "pain-search-slow"),
    ("pain-everything-sluggish", "pain-login-sluggish"),
    ("pain-editor-typing-lag", "pain-ui-freezes-large-lists"),
    ("pain-browser-tab-crashes", "pain-desktop-app-memory-usage"),
    ("pain-browser-tab-crashes", "pain-app-crash-on-launch"),
    ("pain-report-timezone-wrong", "pain-meeting-times-wrong-timezone"),
    ("pain-reports-use-utc", "pain-digest-wrong-timezone"),
    ("pain-report-dates-shifted", "pain-import-dates-swapped"),
    ("pain-scheduled-report-email-missing", "pain-scheduled-export-not-sent"),
    ("pain-weekly-report-not-delivered", "pain-invoice-email-missing"),
    ("pain-report-filters-not-saved", "pain-search-filters-reset"),
    ("pain-guest-sees-internal-notes", "pain-viewer-can-edit"),
    ("pain-internal-notes-visible-to-guests", "pain-share-link-requires-login"),
    ("pain-sso-users-get-admin-role", "pain-okta-scim-provisioning-fails"),
    ("pain-new-sso-users-admin-by-default", "pain-custom-role-not-saved"),
    ("pain-audit-log-missing-entries", "pain-import-missing-records"),
    ("pain-import-stuck-processing", "pain-upload-stuck-at-99"),
    ("pain-import-never-finishes", "pain-export-timeout"),
    ("pain-import-skips-rows", "pain-csv-export-missing-rows"),
    ("pain-rows-dropped-on-import", "pain-import-creates-duplicates"),
    ("pain-import-wrong-encoding", "pain-excel-export-garbled-characters"),
    ("pain-import-wrong-encoding", "pain-attachment-filename-garbled"),
    ("pain-heic-photos-not-supported", "pain-image-preview-broken"),
    ("pain-iphone-photos-upload-rejected", "pain-xlsx-import-unsupported"),
    ("pain-uploaded-file-wrong-name", "pain-attachment-upload-fails"),
    ("pain-drag-and-drop-upload-broken", "pain-file-upload-fails"),
    ("pain-reply-emails-not-threaded", "pain-import-creates-duplicates"),
    ("pain-email-replies-create-new-tickets", "pain-jira-integration-duplicate-issues"),
    ("pain-outgoing-email-delayed", "pain-notifications-delayed"),
    ("pain-sent-emails-arrive-late", "pain-emails-going-to-spam"),
    ("pain-email-images-not-displayed", "pain-image-preview-broken"),
    ("pain-email-images-not-displayed", "pain-email-signature-formatting-lost"),
]
