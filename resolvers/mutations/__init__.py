"""Thin mutation resolvers: decode, call ``write`` with a domain operation, return."""
