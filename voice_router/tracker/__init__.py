"""Tracker: one Jira issue per problem — create, sync, comments, links, duplicates, and
what Jira tells us (webhook events, reconcile). Imports closing, problems, platform."""
