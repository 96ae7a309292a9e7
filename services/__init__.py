"""The four EstateDesk services. None imports another: they learn from each other through events."""
