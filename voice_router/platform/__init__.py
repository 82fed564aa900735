"""Platform: what every stage stands on — settings, the database, logs, metrics, the
clock, named errors, the schedule of what is due, the process runtime, tokens and UI
sessions. It imports no stage."""
