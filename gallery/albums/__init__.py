"""Albums: photos grouped in an order, with members, pages, an API and ZIP downloads."""
