"""Closing: what follows Jira's word — a problem's status (shipping), whom to tell
(notify), the messages sent once (outbound, digests, drafts) and the weekly digest.
Imports problems and platform."""
