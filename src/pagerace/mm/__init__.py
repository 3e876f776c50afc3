"""The 2013 compound-page / THP refcounting model, one module per kernel file.

Ground truth: ``shared/reference/kernel-thp-refcount-2013.md`` (cited as "ref §N").
Design variants are values of :class:`~pagerace.mm.variants.Variant`, passed explicitly
to the functions whose behaviour they change.
"""
