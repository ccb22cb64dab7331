"""The shared early stopping: best weights kept and restored, patience counted."""

from zhpipe.earlystop import EarlyStopping


class FakeModel:
    def __init__(self):
        self.w = 0

    def get_weights(self):
        return self.w

    def set_weights(self, w):
        self.w = w


def test_higher_is_better_stops_after_patience_and_restores_best():
    m = FakeModel()
    stop = EarlyStopping(m, patience=2)
    stops = []
    for epoch, score in enumerate([0.5, 0.7, 0.7, 0.6], 1):
        m.w = epoch
        stops.append(stop.update(score))
    assert stops == [False, False, False, True]  # a tie is no improvement
    stop.restore()
    assert m.w == 2 and stop.best == 0.7


def test_lower_is_better():
    m = FakeModel()
    stop = EarlyStopping(m, patience=1, higher_is_better=False)
    m.w = 1
    assert not stop.update(5.0)
    m.w = 2
    assert not stop.update(4.0)
    m.w = 3
    assert stop.update(4.5)
    stop.restore()
    assert m.w == 2 and stop.best == 4.0
