"""A field's own corpus against general text (the ``own_corpus@<name>`` stage): it joins the
miner, the word vectors and the CRF segmenter, so it sits above the three packages."""
