"""Server-rendered pages: the POS terminal (`/pos`), the shopper's checkout (`/i/{token}`)
and the customer's wallet (`/wallet`).

Thin adapters over the same services as the API: the POS's calls run the invoice routes'
own functions with the terminal found from the pairing cookie instead of a bearer header.
"""
