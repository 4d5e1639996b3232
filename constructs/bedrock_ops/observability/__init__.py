"""Invocation logging, metric factories, the ContentFilteredCount filter, dashboards and alarms."""
