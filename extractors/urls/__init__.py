"""URLs as the rest of the code needs them: the host of a hand-typed URL (never raising) and
credentials kept out of everything stored or printed.

May import: only itself.
"""
