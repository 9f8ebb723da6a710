"""Command ASR: the phoneme CTC model, data rendering, sentences, training and static INT8 quantization."""
