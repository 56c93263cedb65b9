"""Reusable constructs: the platform every service builds on."""
