"""Intake: helpdesk and Jira deliveries in — admitted, stored, then applied in batches
to problems and to the tracker. The top stage: imports every other."""
