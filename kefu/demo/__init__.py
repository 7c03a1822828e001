"""The demo workspace: a realistic bilingual centre generated from a seeded random generator."""
