"""One module per management command; each returns data that cli renders."""
