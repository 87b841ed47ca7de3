"""Server-rendered pages: the POS terminal (`/pos`) and the shopper's checkout (`/i/{id}`).

Thin adapters over the same services as the API: the POS's calls run the invoice routes'
own functions with the terminal found from the pairing cookie instead of a bearer header.
"""
