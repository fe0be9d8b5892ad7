"""Where data comes from: schema, database access, demo generator, reference geography."""
