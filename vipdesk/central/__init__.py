"""The central sync service: desks push and pull over HTTPS; only it holds the database
URL. Stateless (any number of instances behind a load balancer), each with a small
connection pool; the merge runs here, in `vipdesk.sync.central.Centre`."""
