"""C-litmus front end (issue 3)."""
