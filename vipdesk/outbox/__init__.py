"""What every ORM write on a desk database also writes, in the same transaction.

The outbox capture (`capture`: a synced row's insert, update or delete becomes an op
in `sync_outbox`, stamped by the hybrid logical clock of `hlc`), which tables and
columns travel and how their values are written (`tables`), the desk's durable sync
facts (`state`), an op's wire form (`ops`) and the audit log's hash chain
(`audit_chain`). `vipdesk.db` installs the session hooks; the services write through
them, the sync protocol (`vipdesk.sync`) reads what they wrote. No Qt, no network.
"""
