"""Queries over the billing service's tables (payment orders, payments, receipts and invoices)."""
