"""The library: when photos were taken and with what, search, exact duplicates, the trash, favourites, bulk actions.

One module per responsibility. The modules that gallery.models imports (taken, search, duplicates) do not import it.
"""
