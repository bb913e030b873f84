"""Mail: pure values every stage shares (addresses and domains, xtext).

Receives: strings from submission, intake, delivery and notify.
Hands off: normalised values; nothing here does I/O or reads the clock.
Trust: pure.
Standards: RFC 3461 section 4 (xtext), RFC 5890/3490 (IDNA), RFC 6531/6532 (SMTPUTF8).
"""
