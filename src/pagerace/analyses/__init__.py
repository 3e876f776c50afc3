"""Observers over explored executions: lockdep, cost (issue 5)."""
