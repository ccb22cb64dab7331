"""News headlines from their text: Su Jianlin's seq2seq title model (玩转Keras之seq2seq自动生成
标题), its trivial baselines and character ROUGE."""
