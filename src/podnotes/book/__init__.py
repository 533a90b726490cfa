"""The machinery that builds the book, apart from what the book teaches.

- :mod:`podnotes.book.notebooks`: read, execute and check the chapters' notebooks.
- :mod:`podnotes.book.build`: ``make book``'s phases (``python -m podnotes.book.build``).
- :mod:`podnotes.book.sphinxext`: the Sphinx extension that executes and renders the chapters.
- :mod:`podnotes.book.site`: audits of the built site (pages, weight, outside fetches).
- :mod:`podnotes.book.publish`: the versioned site archive (``python -m podnotes.book.publish``).
"""
