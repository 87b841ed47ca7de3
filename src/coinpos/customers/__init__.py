"""Customers: registration, unregistration, login checks and their accounts."""
