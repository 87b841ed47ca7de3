"""Invoices: signed escrow terms, their deposit address, EIP-681 URI and QR code."""
