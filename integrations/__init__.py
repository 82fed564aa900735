"""One module per external system. Each verifies, parses and writes back; none knows Flask
or the database."""
