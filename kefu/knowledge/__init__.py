"""Knowledge base: articles, the bilingual search index (search.py) and its tokenisation (text.py)."""
