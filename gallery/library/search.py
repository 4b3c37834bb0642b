"""Full-text search of photos with PostgreSQL (django.contrib.postgres): what is searched and how a query matches.

Photo.search_vector is a generated column of the title, description, camera make and model and the original
file name, with a GIN index. It uses the "simple" configuration (lower-cased words, no stemming and no stop
words), since titles come in any language; punctuation separates words on both sides, so IMG_1234.JPG is
"img 1234 jpg" and "eos-r6" finds "EOS R6". Every word of a query must match the start of a word: "cano"
finds Canon.
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db.models import F, Func, TextField, Value

CONFIG = "simple"
SEARCHED_FIELDS = ("title", "description", "camera_make", "camera_model", "original_filename")
# A query's words: letters and digits, of any script. Everything else (tsquery's own operators too) separates them.
QUERY_WORD = re.compile(r"[^\W_]+")
MAX_QUERY_WORDS = 16


def without_punctuation(expression):
    return Func(
        expression, Value("[[:punct:]]"), Value(" "), Value("g"), function="regexp_replace", output_field=TextField()
    )


def search_document():
    """The expression of Photo.search_vector (immutable, as a generated column must be)."""
    return SearchVector(*(without_punctuation(F(name)) for name in SEARCHED_FIELDS), config=CONFIG)


def query_words(text):
    """The words of a query that are searched for, lower-cased; at most MAX_QUERY_WORDS."""
    return [word.lower() for word in QUERY_WORD.findall(text or "")][:MAX_QUERY_WORDS]


def prefix_query(text):
    """A SearchQuery matching photos where every word of `text` starts a word of theirs; None when it has none.

    The raw tsquery is built only from QUERY_WORD matches, so no input can inject tsquery syntax.
    """
    words = query_words(text)
    if not words:
        return None
    return SearchQuery(" & ".join(f"{word}:*" for word in words), config=CONFIG, search_type="raw")
