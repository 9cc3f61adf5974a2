"""The PySide6 window. Talks to `vipdesk.desk.Desk` through `ops`, never to SQL."""
