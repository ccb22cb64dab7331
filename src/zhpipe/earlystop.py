"""Early stopping shared by the Keras trainers (CRF tagger, couplets, cloze reader)."""

from __future__ import annotations

import math


class EarlyStopping:
    """Keeps the weights of the best epoch; ``update`` says when ``patience`` epochs in a row
    brought no strict improvement. ``restore`` puts the best weights back."""

    def __init__(self, model, patience: int, higher_is_better: bool = True):
        self.model, self.patience, self.sign = model, patience, 1 if higher_is_better else -1
        self.best = -math.inf if higher_is_better else math.inf
        self.weights = None
        self.waited = 0

    def update(self, score: float) -> bool:
        """Record this epoch's dev score; True when training should stop."""
        if self.sign * score > self.sign * self.best:
            self.best, self.weights, self.waited = score, self.model.get_weights(), 0
            return False
        self.waited += 1
        return self.waited >= self.patience

    def restore(self) -> None:
        if self.weights is not None:
            self.model.set_weights(self.weights)
