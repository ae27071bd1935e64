"""Domain operations: every write to a log is one of these functions. They enforce the
routine's rules (lengths, dates, consents, states) and raise ``models.errors`` on refusal;
they know nothing of GraphQL or viewers, only of the ``Author`` acting."""
