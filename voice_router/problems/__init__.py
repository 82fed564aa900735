"""Problems: pain points folded into problems — who reported them (identity), how big
they are (impact), what they are called, merges and their suggestions, forgetting a
person. Imports platform."""
