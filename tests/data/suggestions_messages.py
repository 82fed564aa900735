# ruff: noqa: E501 (one message a line: they are data, and read best whole)
"""First customer messages for the labelled merge-suggestion set (see README.md).

Written by hand for voice-router, per cluster (keyed by cluster id, `c000`…), from the
cluster's subjects and tags only: what a customer writes in the body of the first message
of a ticket — their own voice, specific details, some vague or rambling, some that mention
a side issue first. Look-alike clusters get wording as close as customers would use.
`make_suggestions_set.py` gives each message to one ticket of its cluster with its own
seeded draws (so every other field of the set stays as it was); other tickets get no
message, or one of FILLER_MESSAGES. Dedicated to the public domain under CC0 1.0.
"""

from __future__ import annotations

# Bodies that say nothing beyond the subject (customers send them too).
FILLER_MESSAGES = [
    "Hi, see subject. Can someone look at this please? Thanks",
    "Hello, as per the subject line. This is blocking us, please get back to me asap.",
    "Hi team, same problem as I reported before, still happening. Regards",
    "Hello, could you please check this for us? Let me know if you need more details.",
    "Hi, following up on this, we still have the issue. Thank you",
    "Please help, this is urgent for us.",
    "Hi there, my manager asked me to report this to you. Details in the subject. Best",
    "Hello support, is this a known problem? We would appreciate a quick answer.",
]

MESSAGES: dict[str, list[str]] = {
    # ------------------------------------------------------------------ auth
    "c000": [
        "Hi, since this morning when I click 'Log in with SSO' it goes to Okta, Okta says I'm signed in, and then I land on your login page again. Round and round. I cleared cookies, same thing.",
        "Our whole sales team can't get in. The SAML login just redirects back and forth between Azure AD and your sign in page until the browser gives up with 'too many redirects'.",
        "hello, i cannot log in, the page keeps reloading itself forever. we use single sign on through our company. please fix quickly, customers are waiting",
        "Hi, first of all the new dashboard looks great. But since yesterday signing in through Okta never finishes: it flashes your login screen, goes back to Okta, and repeats. Incognito doesn't help.",
        "We are stuck in an endless redirect loop when logging in with SSO. Password login still works for the admin account, so it looks like something with the SAML response.",
        "Every time I try to log in I end up back at the login page. It worked on Friday. I use the company sign-on button.",
    ],
    "c001": [
        "Logging in takes more than a minute every morning. After I enter my password the page just sits there with the spinner before the dashboard finally shows up.",
        "Hi, is something wrong with your servers? Signing in is extremely slow today, 40-50 seconds each time. Once I'm in, everything else is fine.",
        "The sign in page hangs for ages. I tried Chrome and Edge, both the same. My colleagues complain too, it's really annoying when you log in ten times a day.",
        "hi, it takes forever to log in, I almost gave up this morning. Also the forgot password link is hard to find but that's another story.",
        "Login is painfully slow on Chrome, about 30 seconds before anything happens after I click Sign in. Our internet is fine, other sites are fast.",
    ],
    "c002": [
        "I clicked 'Forgot password' three times now and no email has arrived. I checked spam and promotions. My address is correct because I get your newsletters.",
        "Hello, I need to reset my password but the reset email never comes. Can you send it manually or reset it for me? I'm locked out of my work.",
        "The password reset mail doesn't arrive for anyone in our team (we tried 4 people). Maybe our mail server blocks it? Please tell us which address it's sent from.",
        "Hi, I requested a new password link an hour ago, nothing in my inbox. Your status page says all good. Can you check the logs?",
        "Forgot my password, clicked the link, the page said 'check your email' but nothing came through. Tried again this morning, still nothing.",
    ],
    "c003": [
        "I get the reset password email right away, but when I click the link it says 'This link has expired'. I clicked it within a minute.",
        "Hi, the password reset link is dead on arrival. Every time it says the token is invalid or expired, I tried three times.",
        "Trying to reset my password. The link in the email opens a page saying the link has expired, even though I just requested it. Is there a time zone issue?",
    ],
    "c004": [
        "My two-factor code is always rejected as invalid. I use Google Authenticator and the phone's time is set automatically. I'm locked out now.",
        "Hi, the 6 digit code from my authenticator app is not accepted at login since yesterday. I re-scanned the QR code, same thing.",
        "MFA fails every time for me. It says 'invalid verification code' even when I type it right away. My colleague with the same app has no issue.",
        "Hello, 2FA code not accepted. I tried Authy and Microsoft Authenticator. Can you reset my two-factor so I can set it up again?",
    ],
    "c005": [
        "I'm not getting the SMS with the login code. Two-factor is set to text message and my number is right. Nothing arrives, not even after 10 minutes.",
        "The 2FA text messages come very late, sometimes 10-15 minutes, and by then the code is expired. I'm in Germany, mobile number starts with +49.",
        "hi, no text message with my verification code. I tried resend 5 times. Is SMS broken? I can't log in.",
        "Since Monday none of our users in Brazil receive the SMS code for MFA. Email codes would be fine too if you can switch us.",
    ],
    "c006": [
        "Our IdP rotated its signing certificate last night and now nobody can log in via SSO. The error says the signing certificate is not valid. Where do we upload the new one?",
        "Urgent: SAML certificate expired and the whole company is locked out. We have the new certificate from Azure, but I can't find where to change it in the settings.",
        "Hi, how do we upload a new SAML certificate? Ours expires next week and I don't want a repeat of last year when login broke for a day.",
    ],
    "c007": [
        "I keep getting logged out while writing long replies. I type for 10 minutes, click send, and I'm on the login page and the text is gone.",
        "Can we make the session last longer? Our agents get logged out every 15 minutes and have to sign in again all day. There's no setting for it that I can find.",
        "The session timeout is far too short. I went to grab a coffee and had to log in again. We'd like at least 8 hours.",
        "Hi, got kicked out again in the middle of typing a reply to a customer. Lost everything I wrote. This happens several times a day.",
        "Session expires way too fast for us, especially people on the phone who keep the app open in the background.",
    ],
    "c008": [
        "I typed my password wrong a few times and now my account is locked. Please unlock it, my email is the one I'm writing from.",
        "Hello, one of our users (Sam) is locked out after too many login attempts. As admin I don't see an unlock button. Can you help?",
        "Account locked. I think someone tried to guess my password. I've changed my email password too. Please unlock and tell me the IPs if you can.",
    ],
    "c009": [
        "The 'Sign in with Google' button has disappeared from the login page. We always used it, now there's only email and password.",
        "On Safari there's no Google login option anymore. In Chrome it still shows. I don't know my password because I always used Google.",
        "Hi, Google sign-in button gone since your update? Half my team only has Google accounts with you.",
        "Where did the Google login go? I see an empty space where the button was. Ad blocker is off.",
    ],
    "c010": [
        "When I try to log in I get 'Internal Server Error'. The page shows error 500 right after I click sign in.",
        "Hi, login page throws a server error for me and two colleagues. Password is right because the reset worked. Please look into it.",
        "Error 500 when logging in, since about 9am CET. Is there an outage?",
    ],
    "c011": [
        "Why must passwords have 14 characters and symbols? Our older staff can't remember them and write them on sticky notes, which is worse.",
        "The password rules are too strict. Can we relax the password policy for our workspace? At least let admins choose the length.",
        "Hi, is it possible to change the password requirements? People keep failing to create accounts because of the rules.",
    ],
    "c012": [
        "I lost my phone and need my 2FA recovery codes, but I never got any. Where are they? I'm locked out.",
        "When enabling two-factor there were no backup codes offered. The recovery codes page in my profile is empty.",
        "Hi, the recovery codes page shows nothing. If I lose my authenticator I have no way back in. Can you check?",
    ],
    # ------------------------------------------------------------------ billing
    "c013": [
        "Our accounting needs the PDF of the March invoice. The invoice is listed on the billing page but there's no PDF to download, just the amount.",
        "Hi, the invoice PDF link gives a 404. We need the invoices for our audit this week, can you send them by email?",
        "Clicking 'Download invoice' does nothing. No file, no error. Tried Chrome and Firefox. It's the invoice from 1 April.",
        "hello, where can I find the PDF of my invoice? I see the invoice number but I can't download it anywhere.",
        "The billing page shows all our invoices, but the last two have no PDF. The older ones are fine. Also, can you add our PO number to invoices?",
        "Can't download invoice PDF. The button is there but I get an error page. We need it for reimbursement.",
    ],
    "c014": [
        "We didn't receive the invoice by email this month. Our finance team relies on the email to billing@ to process payment.",
        "Hi, the monthly invoice email is missing for October. Payment went through on the card, but no invoice was emailed.",
        "Finance says they never got the invoice notification. Other emails from you arrive fine. Can you resend it and check why?",
        "No invoice email after payment. I can see the invoice in the app, but usually it also comes by mail and this time it didn't.",
        "Hello, we're missing invoice emails for the last two months. Our accountant only looks at the inbox, not the app.",
    ],
    "c015": [
        "My credit card keeps getting declined at checkout, but it's valid and has plenty of limit. My bank says they never declined anything.",
        "Renewal failed: 'Payment refused'. We tried two company cards, both refused. The bank sees no attempt on their side.",
        "Hi, Visa declined when upgrading. I called the bank, they approved it, yet your page still says card declined.",
        "Our payment failed with 'card declined' this morning. Please don't suspend our account, we're trying to pay.",
    ],
    "c016": [
        "We were charged twice this month, two charges of $49 on the same day on our credit card statement. Please refund one.",
        "Hi, I see a duplicate charge for our subscription in March. Same amount, same invoice number. Can you refund the double charge?",
        "Billed twice for the same subscription. One charge on the 1st, another on the 2nd. We only have one workspace.",
        "Two identical payments were taken from our card yesterday. Our finance department wants an explanation and a refund.",
        "hello i was charged 2 times, please give my money back. the plan is the basic one",
        "Hi, your billing charged our card twice. Also the receipt email shows the old company name, but the double charge is the main thing.",
    ],
    "c017": [
        "We entered our EU VAT ID in billing settings, but the invoice still includes VAT. It should be reverse charge for us (we're in the Netherlands).",
        "Why are we paying VAT? Our VAT number is on file and valid in VIES. Please correct the last invoice.",
        "The VAT ID field doesn't save. I enter it, click save, reload and it's empty again, so tax is added to every invoice.",
        "Hi, tax charged despite valid VAT registration. Reverse charge note missing on invoice. Our accountant can't book it like this.",
        "VAT number not applied to the invoice, again. Please refund the VAT for the last three months.",
    ],
    "c018": [
        "I added 3 seats mid-month and was charged for the full month for each of them. Isn't that supposed to be prorated?",
        "The proration calculation looks wrong after our upgrade. We paid 212 EUR extra, by my math it should be about 90.",
        "Hi, seat change proration doesn't add up. Can you explain how the amount on the invoice was calculated?",
    ],
    "c019": [
        "Our invoices are in USD but we pay in EUR and our contract is in EUR. Please fix the currency.",
        "Billing currency shows dollars instead of pounds on invoices since we moved to the annual plan.",
        "Hi, can we change the currency of invoices? It's the wrong currency for our UK entity.",
    ],
    "c020": [
        "The invoice PDF shows our old billing address. We moved in January and updated the address in the settings, but the invoices still print the old one.",
        "Company address on invoice PDFs is outdated. Our auditors need the right address. Where can I change what's printed?",
        "Hi, I can't change the address printed on invoices. The field in billing settings is updated, the PDF isn't.",
    ],
    "c021": [
        "I want to cancel our subscription but there's no cancel button anywhere in billing. How do I cancel?",
        "Hi, when I click cancel plan, the page shows an error. We don't want to be charged again next month.",
        "Cancel subscription option is missing for us. Please cancel our account at the end of the period and confirm by email.",
    ],
    "c022": [
        "Invoices are still emailed to our old finance contact who left the company. How do we change the email address invoices go to?",
        "Hi, the invoice was sent to the wrong person again (our former office manager). Please send invoices to accounts@ from now on.",
        "Where can I change the invoice recipient email? I changed the billing contact but the invoice went to the old address.",
    ],
    # ------------------------------------------------------------------ exports
    "c023": [
        "When I click Export > CSV I get 'Something went wrong' and no file. It worked last week. I only need the contacts list as a spreadsheet.",
        "Hi, the CSV export fails with an error every time. The export button gives error 500 for me and my colleague.",
        "Exporting to csv is broken since yesterday. The download starts and then errors out. Small lists too, so it's not the size.",
        "Can't export my contacts as CSV. The button shows a red error banner. We need the file for a mailing today.",
        "csv export failed again. please fix, we export every monday for our board report",
        "Hello, the export doesn't work at all. I tried contacts, deals and companies, all give an error. Also the new menu is confusing.",
    ],
    "c024": [
        "Exporting all our deals (about 200k rows) never finishes. After 5 minutes I get a gateway timeout. Smaller exports work.",
        "Large exports time out. The full data export runs for a while and then fails with a 504. We need the whole dataset for our migration.",
        "Hi, the report download hangs and then times out. The spinner runs for minutes and nothing is downloaded. It's the yearly revenue report.",
        "Our CSV export of the full customer list times out. With a filter to one month it works, but we need everything.",
        "Downloading the full report never finishes, it just hangs. Is there a limit on size? Can you export it for us?",
        "hi, big export requests time out since your last update. before it took 2 minutes and worked.",
    ],
    "c025": [
        "When we export to Excel, accents turn into gibberish: 'Genève' becomes 'GenÃ¨ve'. The XLSX should handle UTF-8.",
        "Japanese customer names are garbled in the export file. Just question marks and boxes in Excel.",
        "Hi, the exported file shows weird characters in Excel wherever there are umlauts (ä, ö, ü). Please fix the encoding.",
    ],
    "c026": [
        "When I export a dashboard to PDF the file is empty. It downloads fine, 2 pages, but both are completely white.",
        "Hi, the downloaded PDF has no content. I export the monthly report and just get a blank page.",
        "PDF export is a blank page since the update. Print to PDF from the browser shows nothing either.",
        "Export to PDF gives white pages. The charts are on screen, but the PDF is empty. We send this to clients every week.",
        "hello, the report pdf I exported is just empty. is that a known bug?",
    ],
    "c027": [
        "Our weekly scheduled export didn't arrive this Monday. It has come every week for a year. Nothing in spam.",
        "Hi, we haven't received the daily export for a week now. The schedule is still active in settings.",
        "The automatic export stopped being delivered to our SFTP and email. Our data warehouse is now a week behind.",
        "Scheduled report email not sent on Monday, and not today either. Can you check if the scheduler is running?",
    ],
    "c028": [
        "The export doesn't contain our custom columns, only the standard fields. We need the custom field values in the CSV.",
        "Hi, custom fields are not included in the export. Is there a setting I'm missing? It used to work.",
        "Where are the custom field values in the CSV? We have 12 custom fields on deals and none are in the file.",
    ],
    "c029": [
        "When I open the CSV export in Excel, all columns end up in one cell. We're in Germany, Excel expects semicolons here.",
        "Hi, wrong delimiter in the exported CSV. Can we choose semicolon instead of comma?",
        "The CSV export uses commas, but our Excel (Austrian settings) needs semicolons, so everything is in column A.",
    ],
    "c030": [
        "The CSV only contains the first 1000 rows. We have 4,300 contacts and the export stops at exactly 1000.",
        "Hi, export is missing rows. Not all records are exported, the total in the app is much higher than in the file.",
        "We exported our deals and about a third are missing. Is there a row limit on exports?",
    ],
    # ------------------------------------------------------------------ mobile
    "c031": [
        "Changes I make on my iPhone don't show up on the web. I edited a contact on the train, and the desktop still shows the old phone number.",
        "Since the last iOS app update sync doesn't work. The app is stuck on 'syncing...' forever and then says 'Sync failed'.",
        "Hi, my iPad edits never reach the desktop. Web to iPad works, the other way not. iOS 18.1.",
        "The iOS app shows old data, yesterday's tasks, though I changed them on my laptop. Pull to refresh does nothing.",
        "hello the iphone app doesn't sync my changes. I logged out and back in, nothing. my colleague on android is fine",
        "Mobile app on iOS is out of date with desktop. Also the app icon badge is wrong, but mostly it's the sync.",
    ],
    "c032": [
        "Android sync broken after the latest version. The app shows old data and the spinner never stops.",
        "Hi, on my Samsung phone I get a sync error every time I open the app. Edits from the web don't appear.",
        "Pixel 8, Android 15: the app is not syncing, the sync spinner runs forever. Reinstalled, same.",
    ],
    "c033": [
        "I worked offline on the plane for two hours, wrote notes on 6 meetings, and when I landed and it synced, everything I did was gone.",
        "Offline mode lost my changes. The app said it would sync when back online, but after sync my edits disappeared.",
        "Hi, data loss after working offline. I edited some deals without signal, and after reconnecting they were back to the old values.",
        "Lost all my notes from the flight! Please tell me they are somewhere on your servers.",
    ],
    "c034": [
        "The app crashes as soon as I open it. It shows the splash screen for a second and closes. iPhone 15, iOS 18.",
        "Hi, since the update the mobile app won't open at all. Android 15, Pixel 7. I reinstalled it twice.",
        "Crash on startup after updating this morning. Can't open the app anymore, and I need it for site visits.",
        "App closes right after the splash screen. No error. My colleague's phone does the same.",
        "hello, the app just closes immediately when I tap it, please help",
    ],
    "c035": [
        "Every time my phone syncs, my contacts are doubled. I now have three copies of some customers.",
        "Hi, sync created duplicate contacts between the app and my phone's address book. 400 duplicates now.",
        "Duplicated records after syncing my phone. Is there a way to merge them back or undo the sync?",
    ],
    "c036": [
        "In dark mode on the iPhone app the labels are unreadable, dark grey on black.",
        "Hi, iOS dark mode contrast is terrible. Some text is invisible, like the status field on tickets.",
        "Dark mode makes half the buttons invisible on my iPhone. I have to switch the whole phone to light mode to use the app.",
    ],
    # ------------------------------------------------------------------ notifications
    "c037": [
        "I'm not receiving push notifications on my phone anymore. Notifications are enabled in settings, both in the app and in iOS.",
        "Hi, since the iOS update I get no push when a customer replies. I only see new messages when I open the app.",
        "No alerts on my phone for new replies. Android, notifications allowed, battery saver off. It worked last month.",
        "Push notifications missing for our whole support team. We rely on them for urgent tickets out of hours.",
    ],
    "c038": [
        "Email notifications stopped last week. I don't get an email when someone assigns me a ticket or comments.",
        "Hi, I don't receive notification emails at all anymore. My settings say all email notifications are on.",
        "Not getting email notifications for new comments. Checked spam, nothing. Other colleagues get theirs.",
        "No emails when someone assigns me a task. Notification emails are not sent anymore, since around Tuesday.",
        "hello, my email alerts stopped. is it because we changed our email domain last month? everything else works",
    ],
    "c039": [
        "Slack notifications stopped after we reconnected the Slack app. The #support channel no longer gets anything.",
        "Hi, nothing is posted to Slack for new tickets since Friday. The integration page says connected.",
        "Our Slack alerts stopped posting. We reinstalled the app, picked the channel again, still silent.",
    ],
    "c040": [
        "Notifications arrive hours late. I got the reminder for a meeting after it had already started.",
        "Hi, alerts are delayed by 30 minutes or more today. A customer's urgent message reached me after lunch.",
        "Why are notifications so slow to arrive? It's getting worse every week. Sometimes 1 hour delay.",
        "Reminders come an hour too late, both email and push. Our team misses calls because of it.",
        "hi, delayed notifications all day, is something wrong with your servers? also the app feels slow",
    ],
    "c041": [
        "I clicked unsubscribe at the bottom of your emails three times and still get them every day.",
        "Hi, I opted out of the weekly digest in my notification settings but I'm still receiving it.",
        "Unsubscribe doesn't work. The page says 'you've been unsubscribed' and the next day the email comes again.",
    ],
    "c042": [
        "The daily digest arrives at 3am instead of 8am. I think it uses the wrong time zone, we're in Singapore.",
        "Hi, the summary email is sent at the wrong hour since the clocks changed.",
        "Digest email uses the wrong time zone. My profile says Europe/Berlin but it comes at US morning time.",
    ],
    "c043": [
        "I get every push notification twice. My phone buzzes twice for each new message.",
        "Hi, duplicate push alerts on Android since the update. Each reply shows two notifications.",
        "Every push notification comes twice on my iPhone, it's driving me crazy at night.",
    ],
    # ------------------------------------------------------------------ search
    "c044": [
        "Search takes 20 seconds to show results. We have about 80,000 contacts. Typing in the search box freezes the page too.",
        "Hi, why is search so slow lately? It used to be instant. Now I wait every time I look up a customer.",
        "Global search is extremely slow with many records. It's making the app unusable for our support agents.",
        "Searching is really slow in the contacts list, results load forever. Other pages are fine.",
        "hello search lags badly when i type, each letter takes a second. chrome on windows",
        "Search performance has gone downhill. Also a small thing: the search box loses focus sometimes. But mainly it's slow.",
    ],
    "c045": [
        "Searching for an order number finds nothing, even though the order is there when I scroll the list.",
        "Hi, search returns nothing for names I know exist. I type 'Carla Rossi' and get 0 results.",
        "Search can't find existing contacts at all today. Even exact names give no results.",
        "No results when searching by email address. Searching by name sometimes works, email never.",
        "hello, search shows 0 results for everything I type. Is search down?",
    ],
    "c046": [
        "Searching 'Jose' doesn't find 'José'. Our customers have lots of accented names and agents type without accents.",
        "Hi, search doesn't handle accents. 'Muller' doesn't find 'Müller'.",
        "Diacritics break search. We're a French company, half our contacts have é or è.",
    ],
    "c047": [
        "When I open a record from the search results and go back, all my filters are reset.",
        "Hi, the filter selection doesn't stick. I have to reapply filters every time I come back to the list.",
        "Search filters are lost after opening a record. Very annoying with 5 filters set.",
    ],
    "c048": [
        "Search still shows records we deleted last week. Clicking them gives a 'not found' page.",
        "New items don't appear in search for hours. I create a contact and can't find it by search until the afternoon.",
        "Hi, it looks like the search index is out of date. Results are missing recent changes.",
    ],
    # ------------------------------------------------------------------ integrations
    "c049": [
        "Our Salesforce sync failed overnight again. The connector shows a red error and contacts are not syncing.",
        "Hi, the SFDC connector shows 'INVALID_FIELD' since yesterday. Deals are missing in Salesforce.",
        "Salesforce connector stopped updating. Last successful sync was 3 days ago. We didn't change anything on our side.",
        "Sync to Salesforce shows an error every night. Our sales team is working with stale data.",
        "hello, the salesforce integration has an error, can you look at our account? our admin is on holiday",
    ],
    "c050": [
        "The HubSpot integration disconnected itself and contacts are not appearing in HubSpot anymore.",
        "Hi, HubSpot properties are not updating since last week. The sync log shows an error.",
        "HubSpot sync error every hour. We reconnected it, still failing.",
    ],
    "c051": [
        "Our Zapier trigger stopped firing. New entries in your app don't start the zap anymore.",
        "Hi, the 'New lead' trigger in Zapier is not working since Thursday. Zapier doesn't see new records.",
        "Our zaps are not running anymore. Zapier says no new data found, but we added 30 records today.",
        "Zap doesn't trigger on new records. We tested the trigger in Zapier and it pulls an old sample.",
        "hello our zapier workflow isn't running, it sends our leads to the CRM so this is urgent",
        "Zapier trigger not firing for new contacts. Also the API docs link in settings is broken.",
    ],
    "c052": [
        "Our endpoint returned a 500 for a few minutes and those webhook events are just lost. No retry.",
        "Hi, we missed webhook events while our server was down for maintenance. Do you retry failed webhooks?",
        "Webhook delivery failed once and was never sent again. We need retries with backoff.",
    ],
    "c053": [
        "We're getting 429 Too Many Requests after about 100 calls. Our sync needs much more than that.",
        "Hi, the API rate limit is too strict for our integration. Can you raise it for our account?",
        "API throttling breaks our nightly sync. We need a higher rate limit or a bulk endpoint.",
        "Rate limited after 100 calls per minute. Our integration partner says your limit is the lowest they've seen.",
        "Hello, our developers get many 429 errors, please advise",
    ],
    "c054": [
        "The Jira integration creates duplicate issues. Each ticket ends up with two or three Jira issues.",
        "Hi, every comment on a ticket creates a new Jira ticket instead of updating the linked one.",
        "Duplicate Jira issues from the integration, our developers are annoyed. Please fix.",
    ],
    "c055": [
        "We can't map our custom Salesforce fields. The field mapping only shows standard fields.",
        "Hi, field mapping for Salesforce lacks our custom objects. We need to sync custom fields to SFDC.",
        "How can I map custom fields to Salesforce? The dropdown doesn't list them.",
    ],
    # ------------------------------------------------------------------ calendar
    "c056": [
        "Meetings booked through the app never reach my Google Calendar anymore. Calendar sync with Google stopped.",
        "Hi, when I reschedule a meeting, Google Calendar isn't updated. The old time stays in GCal.",
        "Events created in the app don't show in Google Calendar since last week. The connection says active.",
        "Google Calendar events not syncing for me and two colleagues. We reconnected the account, nothing.",
        "hello my meetings are missing from my google calendar, I almost missed a client call",
    ],
    "c057": [
        "Events don't appear in Outlook anymore. The Office 365 calendar sync shows an error.",
        "Hi, Outlook invites are not updating when I move a meeting in your app. Outlook calendar not syncing.",
        "Outlook calendar sync stopped working for our team, we're on Microsoft 365.",
        "Our meetings are missing from Outlook. We reconnected the Microsoft account twice.",
    ],
    "c058": [
        "Since the clocks changed, all meetings are off by one hour. Booked slots shifted after DST.",
        "Hi, invites have the wrong time for attendees abroad. A client in New York got 3pm instead of 9am.",
        "The calendar shows UTC instead of my time zone. My profile is set to Europe/Paris.",
        "Events show in the wrong time zone for me, everything is an hour off.",
    ],
    "c059": [
        "Two people booked the same slot on my booking page this morning. Availability is not blocking taken slots.",
        "Hi, I got double-booked again. The booking page allowed a second customer into a time that was already taken.",
        "The booking page lets people book a slot that's already booked. This is the third double booking this week.",
        "hello, two clients showed up at the same time because your calendar booked both. very embarrassing",
    ],
    "c060": [
        "When I edit one occurrence of a recurring meeting, all of them change. I can't edit a single occurrence.",
        "Hi, editing one recurring event changed the whole series, including past meetings.",
        "Our weekly recurring meeting series is broken after I moved one meeting. Now there are gaps.",
    ],
    "c061": [
        "The calendar invite doesn't include the Zoom link anymore. Attendees don't know where to join.",
        "Hi, the meeting invitation has no conference link. We use Google Meet and it used to be added.",
        "Video link missing from invites since last week. I have to send it by hand to every client.",
    ],
    # ------------------------------------------------------------------ performance
    "c062": [
        "The dashboard takes 30 seconds to load every morning. Just a spinner, then it finally shows.",
        "Hi, the home dashboard is very slow. We have 14 widgets, maybe that's too many? It gets worse every week.",
        "Main dashboard performance is terrible. Other pages load fast, only the dashboard takes forever.",
        "Dashboard spinner for ages when I open the app. My boss asked me to complain about it.",
        "hello the dashboard is slow to open, maybe 20 sec. chrome, fast internet",
    ],
    "c063": [
        "When I scroll a large list the UI freezes. Opening a list of 5,000 contacts makes the browser hang.",
        "Hi, the Chrome tab hangs on large tables. 'Page unresponsive' pops up and I have to wait.",
        "The page becomes unresponsive with big lists, scrolling is impossible. Small lists are fine.",
        "Browser freezes when opening our full contact list. Can you add paging?",
    ],
    "c064": [
        "The desktop app uses 4GB of RAM after a day. My laptop fan is constantly on.",
        "Hi, the desktop app eats memory and gets slower and slower. Restarting helps for a few hours.",
        "Memory leak in the desktop client? Task manager shows it growing all day.",
    ],
    "c065": [
        "API responses sometimes take 10 seconds. Most calls are 200ms, but every hour or so there's a spike.",
        "Hi, we see intermittent slow API calls, latency spikes on the API every hour on the hour.",
        "Our integration times out because some API calls take much longer than usual. Any known issues?",
    ],
    # ------------------------------------------------------------------ reporting
    "c066": [
        "Reports take minutes to generate, and sometimes they hang at 'generating' and never finish.",
        "Hi, the report builder is slow with large date ranges. A full year takes 5 minutes or times out.",
        "Generating reports hangs. I click Run and the spinner stays. Small ranges work.",
        "Report stuck on 'generating' since this morning. I need the numbers for a meeting at 2pm.",
    ],
    "c067": [
        "The report total is off by a few hundred euros compared with the list of deals. The totals row is wrong.",
        "Hi, the numbers in our monthly revenue report are incorrect, they don't match the list view.",
        "Report numbers don't add up. When I sum the rows myself I get a different total than the report shows.",
        "Dashboard and report totals disagree. Which one is right? Our CFO is asking.",
        "hello the totals in the report are wrong again, we reported this last month",
        "The revenue report sums are wrong when I filter by region. Also the export of the report is slow but the totals matter more.",
    ],
    "c068": [
        "The chart labels overlap and are unreadable when there are more than 10 categories.",
        "Hi, the X axis labels are cut off in the bar charts. You can't see the month names.",
        "Chart labels overlap on the reports page, especially with long names.",
    ],
    "c069": [
        "The dashboard widget says 'no data' but the same report has data.",
        "Hi, one widget on our dashboard shows no data since yesterday. The report behind it is fine.",
        "Empty widget on the dashboard, it used to show our pipeline.",
    ],
    # ------------------------------------------------------------------ permissions
    "c070": [
        "Users with the viewer role can still edit records. One of our contractors (view only) edited a deal yesterday.",
        "Hi, view-only role isn't view only. Read-only users are changing data.",
        "Our viewer permission allows editing. I set up a role with only 'view' ticked and they can still change records.",
        "View-only people can change records. This is a compliance issue for us.",
        "hello a read only user deleted a note. I thought they couldn't do that?",
    ],
    "c071": [
        "As admin I can't remove a user, the remove user button is greyed out.",
        "Hi, how do I remove an employee who left? Deleting the team member fails with an error.",
        "I can't deactivate a user, I get an error. We're paying for the seat.",
        "The remove user button is disabled for one user. Everyone else can be removed.",
    ],
    "c072": [
        "When I edit role permissions and save, they revert back to the old settings.",
        "Hi, custom role changes don't save. The checkboxes reset after I click save.",
        "Can't save a new role, nothing happens when I click save.",
        "Edited role permissions revert after reloading the page.",
    ],
    "c073": [
        "Our new teammate never got the invite email. I clicked resend twice.",
        "Hi, invitation emails are not arriving. Three invited users said no email came.",
        "My teammate's invite never showed up, not in spam either. How else can I add her?",
        "Team invite missing from inbox for new hires. We onboarded 5 people this week and none got it.",
        "hello I invited my colleague but she didn't get anything",
    ],
    "c074": [
        "The public share link asks for a login. Our clients don't have accounts.",
        "Hi, the shared link says access denied for clients. It's set to 'anyone with the link'.",
        "Share link not accessible to external people, it shows the login page.",
    ],
    # ------------------------------------------------------------------ imports
    "c075": [
        "When I upload a CSV to import contacts it gives an error: 'invalid file'. The file opens fine in Excel.",
        "Hi, CSV import fails at row 1 with 'unexpected column'. I used your template.",
        "Importing our spreadsheet fails. The error mentions the dates column.",
        "Can't import my spreadsheet, it errors out every time. 2,000 rows.",
        "hello, the import doesn't work, error after upload. please help",
    ],
    "c076": [
        "Every import duplicates companies that already exist. Dedupe on import is not working.",
        "Hi, the import created duplicates of existing contacts. We matched on email.",
        "Re-importing a file doubles everything. I expected it to update the records.",
    ],
    "c077": [
        "The import reads 03/04 as March 4th, but we're in the UK so it's 3 April. Day and month are swapped.",
        "Hi, dates are wrong after the CSV import, they're shifted or swapped.",
        "The date format is wrong after import. All our renewal dates are now in the wrong month.",
    ],
    "c078": [
        "Can I import an Excel file directly? Converting to CSV every time is a pain.",
        "Hi, XLSX import not supported? The import only accepts CSV.",
        "We would like to import xlsx files, our ERP only exports Excel.",
    ],
    # ------------------------------------------------------------------ uploads
    "c079": [
        "Attachment upload failed, I tried three browsers. It goes to 99% and then fails.",
        "Hi, I can't upload attachments, I get 'network error'. The file is a 2MB PDF.",
        "Uploads are stuck at 99% and then fail. Safari and Chrome both.",
        "Uploading a PDF attachment fails every time. Images work sometimes.",
        "hello, file upload fails, please fix, I need to send a contract to a customer",
        "Attachments won't upload in Safari. Also the editor jumps around when I paste, but mostly I can't attach files.",
    ],
    "c080": [
        "We need to attach bigger files. The 10MB attachment limit is too small for our drawings.",
        "Hi, please raise the upload size limit. Our videos are 50MB.",
        "Is it possible to increase the maximum file size for attachments?",
    ],
    "c081": [
        "Image previews show a broken icon. The uploaded images are fine when downloaded.",
        "Hi, thumbnails are not loading, just grey boxes. PNG and JPG both.",
        "I can't preview uploaded images anymore, the preview is broken.",
        "Thumbnails are broken images in the attachments list since Monday.",
        "hello, pictures don't show, only a broken picture symbol",
    ],
    "c082": [
        "Uploading a 5MB file takes minutes. Our internet is fast.",
        "Hi, uploads are very slow today, attachments crawl.",
        "Slow upload speed for attachments, even small ones take forever.",
    ],
    # ------------------------------------------------------------------ email
    "c083": [
        "Our emails to customers land in spam. Gmail marks our campaign emails as spam.",
        "Hi, replies sent from the app end up in our customers' junk folder. Several clients told us.",
        "Deliverability problem: everything goes to spam since last week.",
        "Customers find our messages in spam. We set up SPF as your guide says.",
        "hello, our replies go to spam for outlook users. what can we do?",
    ],
    "c084": [
        "We set up a custom sending domain and now emails bounce. The domain shows as verified.",
        "Hi, DKIM is failing on our custom domain, so emails bounce back.",
        "Emails from our custom domain bounce with 'sender not authorised'. Before the switch they were fine.",
        "Bounce back after setting up a custom sending domain, please help.",
    ],
    "c085": [
        "Our email signature formatting is lost in replies. It shows as plain text.",
        "Hi, the images in our email signature are missing when we reply from the app.",
        "Signature shows as plain text with the HTML tags visible.",
    ],
    "c086": [
        "The SCIM sync from Okta errors out. New hires in Okta are not provisioned in your app.",
        "Hi, Okta provisioning fails with an error for new users.",
        "Our SCIM provisioning from Okta stopped working, new employees have no account.",
    ],
    "c087": [
        "Downloading an invoice PDF takes a minute, the spinner runs for ages.",
        "Hi, downloading invoices is slow, about 60 seconds per invoice.",
        "Invoice download is very slow. We need 12 invoices for our audit and it takes forever.",
    ],
    "c088": [
        "The dates in the CSV export are in US format (MM/DD). We need DD/MM.",
        "Hi, the exported dates use the wrong format for our region.",
        "Export shows dates as MM/DD/YYYY. Our settings say UK format.",
        "hello can the export use the date format from my settings? it doesn't right now",
    ],
    "c089": [
        "Login fails only in the iPhone app. The web works with the same password.",
        "Hi, the iOS app rejects my password, says invalid credentials. On the web I can log in.",
        "I can't sign in on the iPad app. Reset my password, still invalid credentials in the app.",
        "hello, the iphone app doesn't let me log in",
    ],
    "c090": [
        "Push notifications come without sound. Sound is on in my phone settings.",
        "Hi, no sound for new message alerts anymore. The notification shows but it's silent.",
        "Notification sound stopped working after the update.",
    ],
    # ------------------------------------------------------------------ fresh clusters
    "c091": [
        "I click the sign-in link you email me and it just opens the login page again asking for my email. Round we go.",
        "Hi, the magic link in the login email says 'invalid or expired' even when I click it straight away.",
        "On my phone the email link to log in does nothing, it opens the browser and shows an error.",
        "Passwordless login is broken for our team since this morning. We don't have passwords, so nobody can get in.",
        "hello, the link from the email to log in doesn't work. please send a new way to get in",
    ],
    "c092": [
        "After signing in with SSO I land in the wrong workspace, our old test one.",
        "Hi, Okta login opens our old workspace instead of the production one. I have to switch manually every time.",
        "SSO signs me into a different team than the one I belong to.",
    ],
    "c093": [
        "I can't change the email address on my account. I get the confirmation email, click it, and it still shows the old one.",
        "Hi, how do I update the email I log in with? Saving the new address gives an error.",
        "Changing my login email doesn't save. We changed our company domain and everyone needs to update.",
        "The new email address reverts to the old one after a day.",
    ],
    "c094": [
        "My YubiKey isn't recognised at login in Firefox. In Chrome it works.",
        "Hi, the hardware security key login fails and I have to use backup codes every time.",
        "The WebAuthn prompt never appears when I sign in, so my security key can't be used.",
        "My passkey is not accepted anymore, it says 'key not recognized'.",
    ],
    "c095": [
        "We cancelled the plan two weeks ago and were promised a refund. Nothing has arrived yet.",
        "Hi, I got the refund confirmation email but no money is back on my card after 10 days.",
        "Where is our refund? Your colleague said it would be processed within 5 days.",
        "Refund still not on my card. Can you send me the transaction reference so my bank can look?",
        "hello, I'm still waiting for my money back after cancelling",
    ],
    "c096": [
        "The invoice counts 25 seats but we only have 18 active users.",
        "Hi, why are we charged for people who left? We deactivated 4 users in March and they are still billed.",
        "We're paying for users we removed. The seat count on the bill is wrong.",
        "Deactivated users are still billed on our invoice. Please correct and credit us.",
        "Hello, our bill is too high this month, I think the user count is wrong",
    ],
    "c097": [
        "I can't upgrade to the Business plan. The Upgrade button does nothing.",
        "Hi, clicking 'Upgrade' shows an error page. We want to pay more, please let us!",
        "Upgrade button broken in billing. We need the Business features this week.",
    ],
    "c098": [
        "We were renewed for a full year without any reminder. A surprise charge of 4,800 on our card.",
        "Hi, no heads-up before the annual renewal charge. Please warn us before renewing next time.",
        "The auto-renewal came out of nowhere, we wanted to reduce seats before it.",
        "Surprise yearly charge on our company card. Is there a setting to get a reminder email 30 days before?",
    ],
    "c099": [
        "I got the 'your export is ready' email this morning, but the download link already says expired.",
        "Hi, the download link in the export email has expired by the time I open it, even an hour later.",
        "Link to my export no longer works. I have to redo the export every time.",
        "Export link dead when I click it from the email. Can the link last longer than a few minutes?",
        "hello, the export download link doesn't work, says expired",
    ],
    "c100": [
        "The JSON export is not valid JSON. Our import script fails on a trailing comma after the last record in each array.",
        "Hi, the exported JSON file won't parse. It looks like quotes inside contact names are not escaped, so the file breaks at 'Bob \"the builder\" Smith'.",
        "Our developer says the JSON export has broken escaping: line breaks in notes end up raw in the file and every parser rejects it. Can you check?",
    ],
    "c101": [
        "I filtered the deals list to 50 rows (owner = me, stage = won) and clicked export. The file has all 3000 deals in it.",
        "Hi, the export includes everything, not just my filtered view. I thought export would give me what I see on screen? Our sales manager only wants her team's data.",
        "When I export a filtered list I get all records, the filter is ignored. Same with a saved view. It worked like that before, I'm quite sure.",
    ],
    "c102": [
        "The export column order changed last week and broke our nightly import into the ERP. We read the columns by position.",
        "Hi, our BI pipeline broke on Tuesday because the CSV columns moved around. Please keep the order fixed, or let us choose it.",
        "Why did the export columns get shuffled? 'Email' used to be column C, now it's F, and 'Created' is at the end. Nobody told us.",
        "Since the update the fields in the CSV come in a different order. Our scripts and the finance spreadsheet both expect the old layout.",
        "hello, something changed in the export file and all our reports built on it are wrong now. can you put it back how it was?",
    ],
    "c103": [
        "Your Android app uses 30% of my battery in the background, even on days I don't open it. Galaxy S23, Android 14.",
        "Hi, my phone gets hot and the battery drains fast whenever the app is open, even just sitting on the inbox screen.",
        "Since the last update the app is at the top of the battery usage list on my Pixel. I had to restrict background activity, and now notifications are late.",
        "Your app eats my battery, I have to charge twice a day now. Is it constantly syncing or something?",
    ],
    "c104": [
        "Tapping a notification opens the app's home screen instead of the ticket it's about. Then I have to search for the ticket.",
        "Hi, deep links from push alerts are broken on iOS since 5.2. The alert says 'New reply from Grace' and takes me to the dashboard.",
        "When I tap on a push alert I end up in the wrong place, usually the inbox list, not the message. Android works fine, it's the iPhone.",
    ],
    "c105": [
        "On Android the keyboard hides the reply box, so I can't see what I'm typing. I have to write blind and hope for the best.",
        "Hi, when I start writing a reply in the app the text field slides behind the keyboard. Samsung keyboard and Gboard both.",
        "The keyboard covers the input field when I write a note on a ticket. Turning the phone sideways helps a bit. Please fix the layout.",
    ],
    "c106": [
        "The app logs me out every day and I have to sign in again each time I open it. I ticked 'keep me signed in'.",
        "Hi, the mobile app forgets my login. My iPhone asks for my password and 2FA code every single morning, which is a pain on site.",
        "I'm signed out of the Android app constantly, sometimes twice a day. On the web I stay logged in for weeks.",
        "hello, why do I always have to log in again in the app? is this a security setting our admin can change?",
    ],
    "c107": [
        "I don't get notified when someone @mentions me in a comment. I only found out because a colleague walked over to my desk.",
        "Hi, mentions don't trigger any notification, neither email nor push. Assignments still notify me.",
        "A colleague tagged me on an urgent ticket yesterday and I never knew. Since about a week @mention alerts seem to be gone.",
        "No email when I'm mentioned in a comment. Other notifications work. My settings have 'Mentions' switched on.",
    ],
    "c108": [
        "My notification settings keep resetting. I turned off the email notifications for comments and a few days later they were back on.",
        "Hi, I unchecked the daily digest and saved, and the next day it's checked again and I get the digest.",
        "The notification preferences don't save. I change them, click Save, get a green 'saved' message, and after reload it's all default again.",
    ],
    "c109": [
        "The badge on the app shows 5 unread but there's nothing unread in my inbox. I've opened everything.",
        "Hi, the unread counter is stuck at 12 even after reading all messages and logging out and in.",
        "The red dot on the inbox icon won't go away. It's a small thing but it makes me check all the time.",
    ],
    "c110": [
        "I get every notification email twice, a few seconds apart. Double emails for every update on every ticket.",
        "Hi, each alert arrives two times in my inbox since last Wednesday. My colleagues too, so our inboxes are flooded.",
        "Why do I receive the same email twice? Same subject, same content, same time. I only have one account as far as I know.",
        "hello, I am getting 2 copies of each email from your system, can you stop one of them",
    ],
    "c111": [
        "Search doesn't look inside PDFs. I search for a clause from a contract we attached and get nothing, even though the text is selectable.",
        "Hi, attachment contents don't seem to be indexed. Full-text search finds words in messages but never in attached files.",
        "We upload all our manuals as Word files, but searching for a word that's in them finds nothing. Is that expected?",
        "I can't find text that's in an attached document. Is searching attachments supported at all? Your competitor does it.",
        "hello, search is useless for our documents, it doesn't find anything inside them. only the file names",
    ],
    "c112": [
        "One typo and search finds nothing. 'recieve' gives zero results, 'receive' gives 40.",
        "Hi, search should handle misspellings. Customers' names are often spelled differently and we miss them.",
        "Search is too strict about spelling, there's no fuzzy matching at all. Our agents type fast and make mistakes.",
    ],
    "c113": [
        "The most relevant ticket is on page 3 of the search results, under dozens that just mention the word once.",
        "Hi, the order of search results makes no sense, the oldest results show first and exact matches come last.",
        "Search ranking is odd since the update. I search an exact ticket title and it's not even in the top 10.",
    ],
    "c114": [
        "We have to reconnect Slack again, third time this week. The integration just disconnects after a few days.",
        "Hi, the Slack app shows 'token revoked' in the integration settings and stops posting until we authorise it again.",
        "Our Slack connection keeps dropping. Each time someone has to notice it, and by then we've missed alerts.",
        "The Slack integration got logged out again overnight. Is it because our Slack admin enforces SSO?",
    ],
    "c115": [
        "Nothing has been posted to our Teams channel since Monday. The integration page says connected and green.",
        "Hi, the Microsoft Teams connector stopped sending messages for new tickets. We didn't change anything.",
        "We set up the Teams integration yesterday following your guide, but the channel stays empty. The test message also never arrived.",
        "hello, our teams channel is silent, it used to show every new ticket. people are asking me if the tool is down",
        "MS Teams messages are missing for new tickets. Our Slack workspace gets them fine, only Teams is silent.",
    ],
    "c116": [
        "We rotated our API key as part of our security policy and all our integrations broke. The connectors still use the old one?",
        "Hi, after regenerating the API token, nothing works anymore: the Zapier and the Salesforce connectors both say unauthorised.",
        "The new API key is not accepted by your own connectors. How do we update the key they use without reinstalling everything?",
    ],
    "c117": [
        "Our endpoint now gets webhooks without the status field, so our handler crashes. It was there until last week.",
        "Hi, the webhook payload is missing the customer email since your update. Our automation needs it.",
        "Some fields are missing from the webhook JSON body: 'assignee' and 'priority' are gone. Is this a breaking change?",
    ],
    "c118": [
        "My clients see no free slots on my booking page, though my calendar is empty all next week.",
        "Hi, the scheduling link shows nothing to book. Customers tell me every day is greyed out.",
        "My booking page says 'no times available'. I checked my availability settings, Monday to Friday 9 to 5 is set.",
        "No availability shows on my booking link since I connected my second calendar. Did that break it?",
        "hello, my clients say my calendar looks completely full but it isn't, I have lots of free time",
    ],
    "c119": [
        "The reminder email that should go out an hour before each meeting never arrives anymore, for me or the attendees.",
        "Hi, attendees don't get the meeting reminder. We had three no-shows this week because of it.",
        "Meeting reminders have stopped. The setting is still on for all event types.",
    ],
    "c120": [
        "The iCal feed doesn't update. Our team's subscribed calendar in Outlook shows last week's events only.",
        "Hi, the ICS subscription URL gives old events. New bookings never appear in Apple Calendar.",
        "Our calendar subscription is stuck, nothing after the 12th shows up. Removing and re-adding it did nothing.",
    ],
    "c121": [
        "Since the new version every click lags, every page takes 5 to 10 seconds. Before the release it was instant.",
        "Hi, the whole product is slow today. Everything has been slow since yesterday's release, for all 40 of our users.",
        "The app became really sluggish after the update. Opening a ticket, switching tabs, saving, all slow.",
        "hello, it's all very slow, please check your servers. also the new icons are nice",
    ],
    "c122": [
        "Typing in the reply editor lags behind, letters appear a second after I type them. With long replies it's unbearable.",
        "Hi, the editor gets laggy when a message is long, like 20 lines. Short messages are fine.",
        "There's an input delay in the text editor. I type a sentence and watch it appear letter by letter.",
        "hello, typing is slow in the text box when I answer customers. the rest of the app is ok",
    ],
    "c123": [
        "After the app has been open for an hour or so, the Chrome tab crashes with 'Aw, Snap! Out of memory'.",
        "Hi, the browser tab runs out of memory and dies, usually mid-afternoon. We keep the app open all day.",
        "The page crashes after an hour open, in Chrome and Edge. Reloading fixes it until the next time.",
    ],
    "c124": [
        "The daily charts use UTC instead of our local time, so Monday's numbers include Sunday evening.",
        "Hi, report dates are a day off for us in Sydney. A deal closed on Tuesday morning shows on Monday.",
        "The daily report cuts off at the wrong hour, so the numbers per day differ from what we see in the app.",
        "Reports show times in UTC, not our time zone. The account is set to America/Chicago.",
    ],
    "c125": [
        "Our scheduled report has stopped coming on Mondays. The schedule still shows as active.",
        "Hi, the weekly report email didn't arrive this week, nor last week. Nothing in spam.",
        "The automated report emails we set up for our managers are missing since the 1st.",
        "No report in my inbox this Monday. Can you check whether it was sent?",
    ],
    "c126": [
        "My saved report forgets its filters. I save it with region = EMEA and next time it shows everything.",
        "Hi, I can't save a filtered report. The Save button saves the columns but not the filters.",
        "Report filters reset every time I open it. I have to set 6 filters each Monday.",
    ],
    "c127": [
        "Guests can read our internal notes! A client just replied quoting a note that was meant only for our team.",
        "Hi, this is a security issue: guest users see private comments on tickets they were invited to.",
        "Private comments are visible to external collaborators. Please fix urgently, our team writes frank things there.",
        "Internal notes are shown on the shared ticket link we send to customers.",
        "hello, a client saw a note that was meant for the team only, how is that possible?",
    ],
    "c128": [
        "Everyone who signs in with SSO becomes admin. New colleagues can change billing, this shouldn't be possible.",
        "Hi, new users coming from Okta get admin rights by default. The default role should be member.",
        "Just-in-time provisioned users are all admins. Where do we set the default role for SSO users?",
    ],
    "c129": [
        "The audit log doesn't show who deleted the record. We need that for an internal investigation.",
        "Hi, some actions are missing from the audit log, like permission changes and exports.",
        "The audit trail has gaps, whole days with nothing though we were working. Our auditor noticed it.",
    ],
    "c130": [
        "I started an import of 2,000 contacts and the spinner has been running for three hours.",
        "Hi, our upload of contacts is stuck on 'processing'. We can't start a new import while it's running.",
        "The progress bar is stuck at 0% on import. Small file, 50 rows.",
    ],
    "c131": [
        "Some records are missing after import. The file had 1,000 rows, only 870 show up.",
        "Hi, the import summary says 'success, 1,000 imported' but when I count, rows are gone. No error file.",
        "The import silently drops lines. It looks like rows with an empty phone number are skipped.",
        "We imported our product list and about a tenth of the items aren't there.",
    ],
    "c132": [
        "Umlauts are broken after the CSV import: 'Müller' became 'MÃ¼ller'. The file is UTF-8.",
        "Hi, imported names have weird characters (Ã© instead of é).",
        "Accents are garbled on import. Is there a way to choose the file encoding?",
    ],
    "c133": [
        "I can't upload photos from my iPhone. It says the file type is not supported.",
        "Hi, photos taken on iOS won't attach to tickets. Screenshots work, camera photos don't.",
        "HEIC files are rejected. Our field team takes all their photos on iPhones.",
    ],
    "c134": [
        "File names change after upload, 'Angebot_Müller.pdf' becomes 'Angebot_Mller.pdf'.",
        "Hi, uploaded files get renamed to random strings like 'a8f3e2.pdf', so customers don't know what they are.",
        "Our PDFs show up as 'file (1).pdf' after uploading. The original name is lost.",
    ],
    "c135": [
        "Dropping a file on the ticket does nothing. It used to upload it.",
        "Hi, I can only upload with the button, not by dragging files in. Chrome on Mac.",
        "Drag and drop doesn't upload anything, the page just opens the file in a new tab.",
    ],
    "c136": [
        "Every email reply from a customer becomes a separate conversation instead of going into the ticket.",
        "Hi, replies by email don't land in the original ticket. We now have five tickets for one email chain.",
        "Customer replies open a new ticket instead of threading. Agents answer the same person twice.",
        "Email threading is broken since Monday, replies are not attached to the existing conversation.",
    ],
    "c137": [
        "My customer got my answer an hour after I sent it. The sent time in the app says 10:02, she got it 11:05.",
        "Hi, outbound emails are delayed, sometimes by 30 minutes or more.",
        "Emails we send from the app arrive late. Customers think we're slow.",
    ],
    "c138": [
        "Inline pictures in customer emails show as broken images in the ticket.",
        "Hi, screenshots customers paste into their emails are missing when we open the ticket.",
        "Images in incoming emails don't load, we only see a little broken icon.",
    ],
}
