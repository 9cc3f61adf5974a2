"""The `vipdesk` command: the GUI by default, sub-commands for scripting and support."""
