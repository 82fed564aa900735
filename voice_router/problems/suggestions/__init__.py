"""Merge suggestions: the other problems that are most likely the same problem, and why.

A problem's merge group (the problem and everything merged into it) is compared with every
other unmerged problem's group on these signals:

- name: the keys (and any title that is more than the key) as words. Words pair up in any
  order after folding case, accents and plural/verb endings; failing that a word may stand
  for a run of the other's words as an acronym, a joined spelling or a shortening ("sso" ~
  "single sign on", "loginloop" ~ "login loop", "notif" ~ "notification", "pwd" ~
  "password"), or be a typo of one (rapidfuzz ratio >= 75). The similarity is the share of
  both names' word weight that found a counterpart (a weighted Dice coefficient); words
  that are rarer among all problem names weigh a little more.
- subjects: the words of up to SUBJECTS ticket subjects per problem (stop words dropped),
  as tf-idf vectors compared by cosine similarity, scaled by n / (n + 1) where n is the
  smaller number of distinct subjects: one shared subject is thin evidence.
- accounts and customers: how many companies and people the two groups' active pain points
  share (read off `impactmember`, the tallies kept per merge group), as a Jaccard index
  smoothed so that one shared account between two small problems counts for little.
- meaning: the cosine similarity of the two groups' sentence vectors (cached per problem by
  voice_router.problems.vectors) once the background of the other problems is taken off,
  corrected for hubness: a group near many others counts for less (CSLS; see
  voice_router.problems.suggestions.nearness).

The meaning similarity is the base of the score; the other signals, each above its floor
evidence in [0, 1], combine as a noisy-or (one strong signal is enough, weak ones add up)
that lifts it towards 1; shipped and won't-fix problems score a little lower. Suggestions
score at least `min_score`, stand `margin` above the problem's background (the mean score
of ranks 4 to 10) and at most `behind_best` below the first.

Cost: a handful of queries per call, none per candidate. Names and meaning are compared
with every problem (the groups' unit vectors are kept while the vectors and merges stay
the same), accounts and customers in one query over `impactmember`; ticket
subjects are read only for a shortlist (blocking), the problems with the most similar names
and those sharing the most accounts or customers; the shared accounts and customers are
named only for the suggestions made.
"""

from voice_router.problems.suggestions.scoring import compare, score, suggest
from voice_router.problems.suggestions.signals import WEIGHTS, Signals, Suggestion, Weights

__all__ = ["WEIGHTS", "Signals", "Suggestion", "Weights", "compare", "score", "suggest"]
