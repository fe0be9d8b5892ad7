"""What the pages share: the database connection, the sidebar filters, labels and formats."""
