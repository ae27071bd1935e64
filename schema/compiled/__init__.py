"""Trusted documents compiled to one SQL statement each (see ``compiler`` and ``runner``)."""
