"""Identity: registration, login, refresh-token rotation, logout, JWKS and the API authorizer."""
