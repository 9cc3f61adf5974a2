"""vipdesk — the VIP lounge reception desk."""

__version__ = "0.1.0"
