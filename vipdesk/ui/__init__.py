"""The PySide6 window. Talks to `vipdesk.services.desk.Desk` through `ops`, never to SQL."""
