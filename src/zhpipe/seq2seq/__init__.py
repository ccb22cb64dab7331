"""What every generator shares: the one beam search (:mod:`.beam`), the NumPy decoder steps that
reproduce Keras's recurrent and attention layers (:mod:`.steps`), and the character vocabulary
of a text-to-text model (:mod:`.vocab`). The couplet and headline models both decode through
these."""
