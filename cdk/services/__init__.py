"""One construct per service: its tables, functions, routes, rules and grants."""
