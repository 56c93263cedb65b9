"""Users: the caller's own profile (GET/PATCH/DELETE /users/me) and admin lookup (GET /users/{userId})."""
