"""Every custom Keras layer of zhpipe, one module each, registered as ``zhpipe>Name``.

Importing this package registers them all, so a saved ``.keras`` model of any kind loads in a
fresh process; every model module imports it.
"""

from zhpipe.layers.align_to import AlignTo
from zhpipe.layers.attention_sum import AttentionSum
from zhpipe.layers.blank_query import BlankQuery
from zhpipe.layers.copy_prior import CopyPrior
from zhpipe.layers.crf import CRF
from zhpipe.layers.gated_attention import GatedAttention
from zhpipe.layers.gated_conv1d import GatedConv1D
from zhpipe.layers.gaussian_sample import GaussianSample
from zhpipe.layers.key_padding_mask import KeyPaddingMask
from zhpipe.layers.pad_mask import PadMask
from zhpipe.layers.position_embedding import PositionEmbedding
from zhpipe.layers.reversible_embedding import ReversibleEmbedding

__all__ = ["CRF", "AlignTo", "AttentionSum", "BlankQuery", "CopyPrior", "GatedAttention",
           "GatedConv1D", "GaussianSample", "KeyPaddingMask", "PadMask", "PositionEmbedding",
           "ReversibleEmbedding"]
