"""Database work for the routes, one module per domain: plain functions with keyword arguments."""
