"""The API's request parsers: DRF's, with JSON nested too deeply refused as a 400 rather than a 500.

Every API view takes them from REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]; this module imports nothing of the app's,
since DRF imports it while it sets up its views.
"""

from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, which also refuses (400) a body nested deeper than Python's json module recurses."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from None
