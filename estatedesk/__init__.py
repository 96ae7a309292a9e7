"""The `estatedesk` command: runs the services, alone or all together (the composition root)."""
