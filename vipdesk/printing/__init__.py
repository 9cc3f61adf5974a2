"""Welcome cards (SPEC §8): templates as data, card data from the member profile, the
reportlab PDF with embedded fonts, and the CUPS print path. No Qt here."""
