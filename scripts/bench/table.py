"""The printed table: its head, and how its figures are written."""

CLIENTS = 4  # the client processes of every throughput figure
MB = 1024 * 1024
TABLE_HEAD = "| Measurement | Stored photos | Result | Target | Met |\n| --- | --- | --- | --- | --- |"


def percentile(times, fraction):
    return sorted(times)[min(len(times) - 1, int(fraction * len(times)))]


def ms(seconds):
    return f"{seconds * 1000:.1f} ms"
