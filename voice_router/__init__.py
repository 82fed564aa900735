"""voice-router: helpdesk pain-point tags become ranked product problems."""

__version__ = "0.1.0"
